"""Alembic's entry point for receipts's migrations: `cabinet-receipts migrate` runs them."""

from cabinet_common.migrations import run_env

run_env()
