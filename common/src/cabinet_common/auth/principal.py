"""The caller a verified token names, and the rules of role x department x filer."""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    FILER = "filer"
    CASEWORKER = "caseworker"
    OPERATOR = "operator"
    ADMIN = "admin"
    # A machine identity: a CLI, the demo seed, a test harness, another Cabinet process.
    SERVICE = "service"


# Who may read a department's records (queue, register, periods, audit).
STAFF = frozenset({Role.CASEWORKER, Role.OPERATOR, Role.ADMIN})
# Who decides on returns and keys in paper ones.
CASEWORK = frozenset({Role.CASEWORKER, Role.ADMIN})
# Who runs quarters: opens and closes periods, drives the schedules.
OPERATIONS = frozenset({Role.OPERATOR, Role.ADMIN})
# Who defines form types and keeps the filer register.
ADMINISTRATION = frozenset({Role.ADMIN})


class PrincipalError(ValueError):
    """The token's claims do not make a coherent caller."""


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    # None only for a machine identity that may act in every department.
    department_id: str | None
    # Set exactly for a filer: the filer organisation the caller acts for.
    filer_id: str | None = None

    def __post_init__(self) -> None:
        if not self.subject:
            raise PrincipalError("a token must name its subject")
        if self.role is not Role.SERVICE and not self.department_id:
            raise PrincipalError(f"a {self.role} token must name its department")
        if (self.role is Role.FILER) != bool(self.filer_id):
            raise PrincipalError("a filer token names its filer, and only a filer token does")

    def in_department(self, department_id: str) -> bool:
        return self.department_id is None or self.department_id == department_id

    def sees_filer(self, filer_id: str) -> bool:
        """A filer sees only its own records; everyone else in the department sees all."""
        return self.role is not Role.FILER or self.filer_id == filer_id

    def has(self, roles: frozenset[Role]) -> bool:
        return self.role is Role.SERVICE or self.role in roles
