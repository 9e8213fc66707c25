"""Form types: the declarative definition a department admin publishes, the periods and
due dates of its cadence, and the checks of a filer's answers against it."""
