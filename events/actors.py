"""The service's own actors: who made a command when no person did.

The command line acts as the installation's operator (``appraisals roles``, ``privacy
erase``, imports), and the scheduled retention pass erases as itself. Their ids are fixed
(derived from their names), so the log records them like anyone else; they are in no
trust's directory, and every page, export and report names them with these words instead
of an id or "someone not in the directory".
"""

from __future__ import annotations

from uuid import UUID, uuid5

OPERATOR_ID = uuid5(UUID(int=0), "appraisal-ledger operator")
RETENTION_ID = uuid5(UUID(int=0), "appraisal-ledger retention")

SERVICE_ACTORS: dict[str, str] = {
    str(OPERATOR_ID): "the installation's operator (command line)",
    str(RETENTION_ID): "the scheduled retention pass",
}
