"""Alembic's entry point for cycles's migrations: `cabinet-cycles migrate` runs them."""

from cabinet_common.migrations import run_env

run_env()
