"""Journal errors.

JournalError
 ├── JournalSchemaError    the database's schema version cannot be used by this code
 ├── JournalConflictError  a record with the same key exists and differs (a caller bug)
 ├── JournalUnknownRecordError  an update names a record that was never written
 ├── JournalReplaced       the database is not the one opened (deleted, replaced)
 ├── FencedOut             a replica that does not lead (any more) tried to write an intent
 └── JournalUnavailable    the database cannot be opened (or read, at this schema version)
      └── JournalNotCreated  a reader found no journal yet
"""

from __future__ import annotations


class JournalError(Exception):
    """Base of every journal error."""


class JournalSchemaError(JournalError):
    """The schema version is newer than this code or a migration target is invalid."""


class JournalConflictError(JournalError):
    """A second, different record was written under a key that must be unique."""


class JournalUnknownRecordError(JournalError):
    """An outcome, send or receipt refers to an intent the journal does not hold."""


class JournalReplaced(JournalError):
    """The database at the journal's URL is not the one the daemon opened (deleted, replaced,
    restored from elsewhere): nothing it remembers can be trusted to be there."""


class FencedOut(JournalError):
    """A write that leads to an action (an order, a transaction, a money move) was refused:
    this replica does not lead, or a newer leadership epoch exists. The replica must stop
    acting and follow; retrying cannot succeed."""


class JournalUnavailable(JournalError):
    """The journal's database cannot be opened (server down, path not writable)."""


class JournalNotCreated(JournalUnavailable):
    """A read-only opener found no journal: no daemon has created it yet (a reader never
    creates one)."""
