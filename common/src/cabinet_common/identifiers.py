"""The one format of the ids Cabinet's register gives what it holds (a department, a form
type, a filer): lower-case letters, digits and hyphens, not starting with a hyphen, at most
100 characters ("hmrc-vat", "acme-ltd").

`Slug` is that id as a declaration: a path parameter, a body field or the items of a list
declared with it is checked on the way in (422 WRONG_FORMAT) and carries the pattern in
the OpenAPI, so what a service publishes is what it takes."""

import re
from typing import Annotated

from pydantic import Field

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,99}$"
ID = re.compile(ID_PATTERN)

Slug = Annotated[str, Field(pattern=ID_PATTERN)]
