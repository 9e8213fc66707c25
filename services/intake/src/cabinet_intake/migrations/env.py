"""Alembic's entry point for intake's migrations: `cabinet-intake migrate` runs them."""

from cabinet_common.migrations import run_env

run_env()
