"""A believable self-storage operator's ledger, for the demo profile and benchmarks.

Deterministic from a seed (and `today`), so a demo, a screenshot or a bug report
can be reproduced exactly. Everything it writes passes the import checks: the
test suite exports it and validates the export.

Rows are built in memory and written with one executemany per table, so 50,000
invoices take seconds, not minutes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from xsync_desktop.store.database import realign_id_sequences
from xsync_desktop.store.models import Customer, Invoice
from xsync_desktop.store.types import utcnow

from .demo_names import AREAS, FIRST_NAMES, LAST_NAMES, STREETS, TRADES
from .existing import table
from .rules import CURRENCIES

CENT = Decimal("0.01")
GST = Decimal("0.15")

FACILITIES = (
    ("wellington", "Harbourside Self Storage — Wellington", "H"),
    ("hutt", "Hutt Valley Storage Centre — Petone", "P"),
    ("auckland", "North Shore Secure Storage — Albany", "N"),
)
# (size, monthly rent, share of units)
UNIT_SIZES = (
    ("1.5 x 1.5 m", Decimal("79.00"), 3),
    ("1.5 x 3 m", Decimal("119.00"), 4),
    ("3 x 3 m", Decimal("189.00"), 5),
    ("3 x 4.5 m", Decimal("259.00"), 3),
    ("3 x 6 m", Decimal("329.00"), 2),
    ("6 x 6 m", Decimal("529.00"), 1),
)
# (cover, monthly charge)
PROTECTION = (("$3,000", Decimal("9.50")), ("$5,000", Decimal("14.00")), ("$10,000", Decimal("24.00")))
METHODS = (("direct_debit", 40), ("card", 35), ("bank_transfer", 20), ("cash", 3), ("cheque", 2))
METHOD_REF = {"direct_debit": "DD", "card": "Card", "bank_transfer": "Bank", "cash": "Cash", "cheque": "Chq"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


class LedgerNotEmpty(Exception):
    """Demo data goes into an empty ledger only; mixing it with real records would be a mess to undo."""


@dataclass
class DemoSummary:
    facilities: int = 0
    units: int = 0
    customers: int = 0
    tenancies: int = 0
    invoices: int = 0
    invoice_lines: int = 0
    payments: int = 0
    credit_notes: int = 0
    credit_allocations: int = 0
    first_invoice_date: date | None = None
    last_invoice_date: date | None = None
    currency: str = "NZD"

    def text(self) -> str:
        return (
            f"Demo ledger: {self.facilities} facilities, {self.units} units, {self.customers} customers, "
            f"{self.tenancies} tenancies, {self.invoices} invoices ({self.first_invoice_date} to "
            f"{self.last_invoice_date}), {self.payments} payments, {self.credit_notes} credit notes "
            f"({self.credit_allocations} allocated), in {self.currency}."
        )


@dataclass
class _Rows:
    facilities: list[dict[str, Any]] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    tenancies: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    invoice_lines: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    credit_notes: list[dict[str, Any]] = field(default_factory=list)
    credit_note_lines: list[dict[str, Any]] = field(default_factory=list)
    credit_allocations: list[dict[str, Any]] = field(default_factory=list)


TABLE_ORDER = ("facilities", "customers", "units", "tenancies", "invoices", "invoice_lines", "payments",
               "credit_notes", "credit_note_lines", "credit_allocations")


def generate_demo_ledger(
    session: Session, invoices: int = 600, seed: int = 7, today: date | None = None, currency: str = "NZD"
) -> DemoSummary:
    """Fill an empty ledger with about `invoices` invoices over the 12 months up to `today`.

    Writes in the caller's transaction (the caller commits). Raises LedgerNotEmpty
    if the ledger already has customers or invoices.
    """
    if invoices < 1:
        raise ValueError("invoices must be at least 1")
    if currency.upper() not in CURRENCIES:
        raise ValueError(f"currency {currency} is not one the import accepts")
    held = session.scalar(select(func.count()).select_from(Customer)) or 0
    held += session.scalar(select(func.count()).select_from(Invoice)) or 0
    if held:
        raise LedgerNotEmpty("the ledger already has records; demo data goes into an empty profile")
    rows = _Generator(random.Random(seed), today or date.today(), currency.upper()).build(invoices)
    now = utcnow()
    for name in TABLE_ORDER:
        batch: list[dict[str, Any]] = getattr(rows, name)
        if not batch:
            continue
        t = table(name)
        if "changed_at" in t.c:
            for r in batch:
                r["changed_at"] = now
        for start in range(0, len(batch), 5000):
            session.execute(insert(t), batch[start:start + 5000])
    realign_id_sequences(session, [table(name).name for name in TABLE_ORDER])
    session.flush()
    dates = [inv["issue_date"] for inv in rows.invoices]
    return DemoSummary(
        facilities=len(rows.facilities), units=len(rows.units), customers=len(rows.customers),
        tenancies=len(rows.tenancies), invoices=len(rows.invoices), invoice_lines=len(rows.invoice_lines),
        payments=len(rows.payments), credit_notes=len(rows.credit_notes),
        credit_allocations=len(rows.credit_allocations), first_invoice_date=min(dates),
        last_invoice_date=max(dates), currency=currency.upper(),
    )


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _month_start(d: date, offset: int) -> date:
    index = d.year * 12 + d.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def _days_in_month(d: date) -> int:
    return (_month_start(d, 1) - timedelta(days=1)).day


class _Generator:
    def __init__(self, rng: random.Random, today: date, currency: str) -> None:
        self.rng = rng
        self.today = today
        self.currency = currency
        self.rows = _Rows()
        self.names: set[str] = set()
        self.emails: set[str] = set()
        self.free_units: list[list[dict[str, Any]]] = []

    # -- people and places ----------------------------------------------------------
    def build(self, target: int) -> _Rows:
        # About one invoice per active tenancy per month, over 12 months, with turnover.
        active = max(8, round(target / 10))
        self._facilities(units=max(150, round(active * 1.25)))
        made = 0
        while made < target:
            made += self._tenancy(limit=target - made)
        self._credit_notes()
        return self.rows

    def _facilities(self, units: int) -> None:
        count = 2 if units < 200 else 3
        per = units // count
        for fid, (_key, name, prefix) in enumerate(FACILITIES[:count], start=1):
            self.rows.facilities.append({"id": fid, "external_id": f"fac_{fid}", "name": name})
            pool: list[dict[str, Any]] = []
            weights = [w for _s, _r, w in UNIT_SIZES]
            for n in range(1, per + 1):
                size, rent, _w = self.rng.choices(UNIT_SIZES, weights=weights)[0]
                uid = len(self.rows.units) + 1
                unit = {"id": uid, "external_id": f"unit_{uid}", "facility_id": fid,
                        "code": f"{prefix}{n:04d}", "size": size}
                self.rows.units.append(unit)
                # Rents differ a little by site; kept out of the row, used for tenancies.
                pool.append({**unit, "rent": rent + Decimal(fid * 5 - 5)})
            self.rng.shuffle(pool)
            self.free_units.append(pool)

    def _customer(self, facility_index: int) -> dict[str, Any]:
        rng = self.rng
        cid = len(self.rows.customers) + 1
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if rng.random() < 0.08:
            name = f"{last} {rng.choice(TRADES)} Ltd"
            local = name.lower().replace(" ", "").replace("'", "").replace("ü", "u")[:-3]
            email_local = f"accounts.{local}"
        else:
            name = f"{first} {last}"
            email_local = f"{first}.{last}".lower().replace(" ", "").replace("'", "").replace("ü", "u")
        if name in self.names:
            for letter in "ABCDEFGHJKLMNPRSTW":
                candidate = f"{first} {letter}. {last}" if not name.endswith(" Ltd") else f"{name[:-4]} {letter} Ltd"
                if candidate not in self.names:
                    name = candidate
                    break
            else:
                name = f"{name} ({cid})"
        self.names.add(name)
        email = f"{email_local}@{rng.choice(('example.com', 'example.net'))}"
        n = 2
        while email in self.emails:
            email = f"{email_local}{n}@{email.split('@')[1]}"
            n += 1
        self.emails.add(email)
        suburb, city, postcode = rng.choice(AREAS[FACILITIES[facility_index][0]])
        customer = {
            "id": cid,
            "external_id": f"cus_{cid}",
            "customer_number": f"C-{cid:05d}",
            "name": name,
            "email": email,
            "phone": f"02{rng.choice('1271')} 555 {rng.randrange(10000):04d}",
            "address": f"{rng.randrange(1, 300)} {rng.choice(STREETS)}, {suburb}, {city} {postcode}",
        }
        self.rows.customers.append(customer)
        return customer

    # -- tenancies and their invoices ----------------------------------------------------
    def _tenancy(self, limit: int) -> int:
        rng = self.rng
        window_start = _month_start(self.today, -11)
        start_month = _month_start(self.today, -rng.randrange(0, 30))
        start = start_month.replace(day=rng.randrange(1, _days_in_month(start_month) + 1))
        if start > self.today:
            start = self.today
        months = rng.choice((1, 2, 3, 4, 6, 6, 9, 12, 12, 18, 24, 36, 60, 60, 60))
        end_month = _month_start(start, months)
        end = None if rng.random() < 0.15 else end_month.replace(day=min(start.day, 28)) - timedelta(days=1)
        if end is not None and end < window_start:
            return 0  # left before the window: nothing invoiced in it
        facility_index = rng.randrange(len(self.free_units))
        pool = self.free_units[facility_index]
        if not pool:
            pool = self.free_units[facility_index] = [dict(u) for u in self.rows_units_for(facility_index)]
        unit = pool.pop()
        # One customer in ten rents a second unit.
        if self.rows.customers and rng.random() < 0.1:
            customer = rng.choice(self.rows.customers)
        else:
            customer = self._customer(facility_index)
        tid = len(self.rows.tenancies) + 1
        tenancy = {
            "id": tid, "external_id": f"ten_{tid}", "customer_id": customer["id"], "unit_id": unit["id"],
            "start_date": start, "end_date": end if end is not None and end <= self.today else None,
            "monthly_rent": unit["rent"],
        }
        if end is not None and end > self.today:
            tenancy["end_date"] = None  # still renting: the end is not known yet
            end = None
        self.rows.tenancies.append(tenancy)
        protection = PROTECTION[rng.randrange(3)] if rng.random() < 0.7 else None
        half_price = rng.random() < 0.2
        made = 0
        for issue in self._billing_dates(start, end):
            if made >= limit:
                break
            self._invoice(customer, tenancy, unit, issue, protection, first=issue == start,
                          last=end is not None and _month_start(issue, 1) > end, half_price=half_price)
            made += 1
        return made

    def rows_units_for(self, facility_index: int) -> list[dict[str, Any]]:
        fid = facility_index + 1
        rents = {s: r for s, r, _w in UNIT_SIZES}
        return [{**u, "rent": rents[u["size"]] + Decimal(fid * 5 - 5)}
                for u in self.rows.units if u["facility_id"] == fid]

    def _billing_dates(self, start: date, end: date | None) -> Iterator[date]:
        window_start = _month_start(self.today, -11)
        day = min(start.day, 28)
        offset = 0
        while True:
            month = _month_start(start, offset)
            issue = start if offset == 0 else month.replace(day=day)
            offset += 1
            if issue > self.today or (end is not None and issue > end):
                return
            if issue >= window_start:
                yield issue

    def _invoice(self, customer: dict[str, Any], tenancy: dict[str, Any], unit: dict[str, Any], issue: date,
                 protection: tuple[str, Decimal] | None, *, first: bool, last: bool, half_price: bool) -> None:
        rng = self.rng
        iid = len(self.rows.invoices) + 1
        period_end = _month_start(issue, 1).replace(day=min(issue.day, 28)) - timedelta(days=1)
        period = f"{issue.day} {MONTHS[issue.month - 1]} – {period_end.day} {MONTHS[period_end.month - 1]} {period_end.year}"
        lines: list[tuple[str, str, Decimal, Decimal]] = [
            ("rent", f"Storage unit {unit['code']} ({unit['size']}), {period}", Decimal(1), unit["rent"]),
        ]
        if protection:
            lines.append(("insurance", f"Contents protection, {protection[0]} cover, {period}", Decimal(1),
                          protection[1]))
        if first:
            lines.append(("admin_fee", "Move-in admin fee", Decimal(1), Decimal("25.00")))
            if rng.random() < 0.3:
                lines.append(("merchandise", "Disc padlock", Decimal(1), Decimal("24.00")))
            if rng.random() < 0.2:
                lines.append(("merchandise", "Moving boxes (large)", Decimal(rng.choice((5, 10, 20))),
                              Decimal("4.50")))
            if half_price:
                lines.append(("discount", "First month half price", Decimal(1), -_money(unit["rent"] / 2)))
        elif rng.random() < 0.04:
            lines.append(("late_fee", "Late payment fee", Decimal(1), Decimal("15.00")))
        if last and rng.random() < 0.25:
            lines.append(("cleaning", "Unit cleaning on move-out", Decimal(1), Decimal("45.00")))
        if rng.random() < 0.005:
            lines.append(("lock_cut", "Lock cut and replacement", Decimal(1), Decimal("65.00")))

        subtotal = tax_total = Decimal("0.00")
        for no, (charge, description, qty, unit_amount) in enumerate(lines, start=1):
            amount = _money(qty * unit_amount)
            tax = _money(amount * GST)
            subtotal += amount
            tax_total += tax
            self.rows.invoice_lines.append({
                "invoice_id": iid, "line_no": no, "charge_type": charge, "description": description,
                "quantity": qty, "unit_amount": unit_amount, "tax_amount": tax, "line_amount": amount,
            })
        total = subtotal + tax_total
        recent = (self.today - issue).days < 10
        status = "authorised"
        roll = rng.random()
        if recent and roll < 0.05:
            status = "draft"
        elif not first and roll < 0.02:
            status = "void"
        invoice = {
            "id": iid, "external_id": f"inv_{iid}", "number": f"INV-{100000 + iid}",
            "customer_id": customer["id"], "tenancy_id": tenancy["id"], "facility_id": unit["facility_id"],
            "issue_date": issue, "due_date": issue + timedelta(days=14), "currency": self.currency,
            "status": status, "reference": f"Unit {unit['code']} {MONTHS[issue.month - 1]} {issue.year}",
            "subtotal": subtotal, "tax_total": tax_total, "total": total, "amount_paid": Decimal("0.00"),
            "amount_credited": Decimal("0.00"),
        }
        self.rows.invoices.append(invoice)
        if status == "authorised":
            self._payment(invoice)

    def _payment(self, invoice: dict[str, Any]) -> None:
        rng = self.rng
        age = (self.today - invoice["issue_date"]).days
        roll = rng.random()
        if age > 30:
            share = Decimal(1) if roll < 0.9 else (Decimal("0.5") if roll < 0.95 else None)
        else:
            share = Decimal(1) if roll < 0.45 else None
        if share is None or invoice["total"] == 0:
            return
        amount = _money(invoice["total"] * share)
        method = rng.choices([m for m, _w in METHODS], weights=[w for _m, w in METHODS])[0]
        day = invoice["issue_date"] + timedelta(days=0 if method == "direct_debit" else rng.randrange(0, 21))
        pid = len(self.rows.payments) + 1
        self.rows.payments.append({
            "id": pid, "external_id": f"pay_{pid}", "invoice_id": invoice["id"], "date": min(day, self.today),
            "amount": amount, "method": method, "reference": f"{METHOD_REF[method]} {invoice['number']}",
        })
        invoice["amount_paid"] = amount

    # -- credit notes ---------------------------------------------------------------
    def _credit_notes(self) -> None:
        """About 2% of invoices get a credit: protection charged in error, or a goodwill rent credit."""
        rng = self.rng
        payments = {p["invoice_id"]: p for p in self.rows.payments}
        by_invoice: dict[int, list[dict[str, Any]]] = {}
        for line in self.rows.invoice_lines:
            by_invoice.setdefault(line["invoice_id"], []).append(line)
        for invoice in self.rows.invoices:
            if invoice["status"] != "authorised" or rng.random() >= 0.02:
                continue
            lines = by_invoice[invoice["id"]]
            protection = next((ln for ln in lines if ln["charge_type"] == "insurance"), None)
            if protection is not None and rng.random() < 0.5:
                charge, description, amount = "insurance", "Refund: contents protection charged in error", \
                    protection["line_amount"]
            else:
                rent = lines[0]["line_amount"]
                charge, description, amount = "rent", "Goodwill credit: access gate out of service", \
                    _money(rent * Decimal("0.25"))
            if amount <= 0:
                continue
            tax = _money(amount * GST)
            cid = len(self.rows.credit_notes) + 1
            issue = min(invoice["issue_date"] + timedelta(days=rng.randrange(1, 20)), self.today)
            self.rows.credit_notes.append({
                "id": cid, "external_id": f"cn_{cid}", "number": f"CN-{cid:06d}",
                "customer_id": invoice["customer_id"], "facility_id": invoice["facility_id"], "issue_date": issue,
                "currency": self.currency, "status": "authorised", "reference": f"Credit for {invoice['number']}",
                "subtotal": amount, "tax_total": tax, "total": amount + tax,
            })
            self.rows.credit_note_lines.append({
                "credit_note_id": cid, "line_no": 1, "charge_type": charge, "description": description,
                "quantity": Decimal(1), "unit_amount": amount, "tax_amount": tax, "line_amount": amount,
            })
            credit = amount + tax
            due = invoice["total"] - invoice["amount_paid"]
            payment = payments.get(invoice["id"])
            if credit > due and payment is not None and rng.random() < 0.8:
                # The customer was told of the credit and paid the rest.
                payment["amount"] -= min(credit - due, payment["amount"] - CENT)
                invoice["amount_paid"] = payment["amount"]
                due = invoice["total"] - invoice["amount_paid"]
            if credit <= due:
                aid = len(self.rows.credit_allocations) + 1
                self.rows.credit_allocations.append({
                    "id": aid, "external_id": f"alloc_{aid}", "credit_note_id": cid,
                    "invoice_id": invoice["id"], "date": issue, "amount": credit,
                })
                invoice["amount_credited"] += credit
