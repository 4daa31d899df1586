"""Reconcile: what Xero changed on linked records, applied to the ledger or raised for a person.

The rules are DESIGN.md's "Reconcile rules" table. To know *which side* changed a field
we compare Xero's current value with ``Link.xero_snapshot`` (Xero's values as last seen or
as pushed), falling back to the ledger's value when the snapshot lacks the field (the
ledger value is what was pushed). "The ledger changed since the last push" is
``Invoice.changed_at > Link.pushed_at``.

Write-backs never bump ``changed_at`` and never move ``Link.pushed_at`` (see
changelog.py). When the ledger was in step with Xero before a write-back, the link's
``pushed_hash`` is refreshed to the new ledger state, so the push phase does not echo
Xero's own change back to Xero; when the ledger had an unpushed edit, the hash is left
alone so that edit is still pushed.

Where each rule lives:

- ``invoices.py``: a linked Xero invoice changed (due date, reference, void, delete, totals,
  lines, currency, contact); which invoices an open exception holds back.
- ``payments.py``: a Xero payment seen by the pull (import, reversal, overpayment).
- ``contacts.py``: a linked contact archived or merged in Xero.
- ``snapshots.py``: Xero's values normalised into the snapshots the rules compare.
- ``write_backs.py``: the ledger writes the rules (and exception decisions) make.
"""
