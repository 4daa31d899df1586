"""The month-end checklist as a printable document (PDF through Qt's own QPdfWriter).

Built as HTML and laid out by QTextDocument, so the PDF paginates long record lists by
itself. QTextDocument and QPdfWriter are reentrant, so the export runs in the background
runner like the CSV export (a month with thousands of failing records must not freeze
the window).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from ...timestamps import local_stamp
from ..qt import QtCore, QtGui

MAX_RECORDS_PER_CHECK = 2000  # beyond this the PDF says how many more; the CSV has them all


def checklist_html(checklist: Any, signoff: Any | None = None, org_name: str | None = None) -> str:
    passed = sum(1 for c in checklist.checks if c.passed)
    total = len(checklist.checks)
    head = (f"<h1>Month-end checklist {escape(checklist.month)}</h1>"
            f"<p>{escape(org_name or '')}<br/>Computed {local_stamp(checklist.computed_at)}. "
            f"<b>{passed} of {total} checks pass.</b></p>")
    rows = "".join(
        f"<tr><td style='color:{'#1b7f3b' if c.passed else '#b3261e'}'><b>{'Pass' if c.passed else 'Fail'}</b></td>"
        f"<td>{escape(c.title)}</td><td align='right'>{c.count}</td><td align='right'>{c.checked}</td></tr>"
        for c in checklist.checks
    )
    table = ("<table border='1' cellspacing='0' cellpadding='4' width='100%'>"
             "<tr><th>Result</th><th>Check</th><th>Blocking</th><th>Checked</th></tr>" + rows + "</table>")
    if signoff is not None:
        sign = (f"<h2>Signed off</h2><p>By <b>{escape(signoff.signed_by)}</b> on "
                f"{local_stamp(signoff.signed_at)}.")
        if signoff.note:
            sign += f"<br/>Note: {escape(signoff.note)}"
        if signoff.override_reason:
            sign += f"<br/><span style='color:#b3261e'>Signed off although checks failed: " \
                    f"{escape(signoff.override_reason)}</span>"
        sign += "</p>"
    else:
        sign = "<h2>Not signed off</h2>"
    details = []
    for c in checklist.checks:
        if not c.records:
            continue
        shown = c.records[:MAX_RECORDS_PER_CHECK]
        lines = "".join(f"<tr><td>{escape(r.label)}</td><td>{escape(r.reason)}</td></tr>" for r in shown)
        more = len(c.records) - len(shown)
        extra = f"<p>\u2026and {more} more (see the CSV export).</p>" if more > 0 else ""
        details.append(f"<h3>{escape(c.title)}: {c.count} blocking</h3>"
                       "<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
                       f"<tr><th>Record</th><th>Why</th></tr>{lines}</table>{extra}")
    return "<html><body>" + head + table + sign + "".join(details) + "</body></html>"


def write_pdf(html: str, path: str | Path) -> Path:
    """Lay out `html` on A4 pages and write it with QPdfWriter."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    writer = QtGui.QPdfWriter(str(target))
    writer.setPageSize(QtGui.QPageSize(QtGui.QPageSize.PageSizeId.A4))
    writer.setPageMargins(QtCore.QMarginsF(15, 15, 15, 15), QtGui.QPageLayout.Unit.Millimeter)
    writer.setTitle("Month-end checklist")
    writer.setCreator("xsync desktop")
    doc = QtGui.QTextDocument()
    doc.setHtml(html)
    doc.print_(writer)
    return target
