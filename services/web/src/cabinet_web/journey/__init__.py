"""The return journey (question pages, receipts, check answers, declaration, confirmation)
shared by the filer's pages and the caseworker's paper-return lane."""
