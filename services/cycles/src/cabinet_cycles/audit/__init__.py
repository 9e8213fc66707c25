"""The audit trail: every change of an obligation's status, appended to a hash chain per
quarter (department, form type, period), exported as a signed audit pack."""
