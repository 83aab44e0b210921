"""Compliance rules as pure functions: (holder, documents, day, policy) -> Verdict with reasons.

No Flask, no database: callers turn rows into the small facts below. Every threshold is a
field of `Policy`, with the defaults of domain.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

ACCEPTED_STATUS = "verified"
CLEAR_DBS_RESULTS = frozenset({"BLANK_NO_NEW_INFO", "NON_BLANK_NO_NEW_INFO"})
BLOCKING_DBS_RESULTS = frozenset({"NEW_INFO", "NO_MATCH_FOUND"})

#: Documents each kind of holder must have, besides the DBS rule for people.
REQUIRED: dict[str, tuple[str, ...]] = {
    "driver": ("driving_licence", "driver_badge", "safeguarding_training", "council_id_badge"),
    "passenger_assistant": ("safeguarding_training", "pa_training", "council_id_badge"),
    "operator": ("public_liability_insurance", "employers_liability_insurance", "contract"),
    "vehicle": ("mot", "vehicle_insurance"),
}
LABELS = {
    "dbs_enhanced": "enhanced DBS",
    "driving_licence": "driving licence",
    "driver_badge": "driver badge",
    "safeguarding_training": "safeguarding training",
    "pa_training": "passenger assistant training",
    "council_id_badge": "council ID badge",
    "public_liability_insurance": "public liability insurance",
    "employers_liability_insurance": "employer's liability insurance",
    "contract": "contract",
    "operator_licence": "operator licence",
    "psv_operator_licence": "PSV operator licence",
    "section_19_permit": "section 19 permit",
    "vehicle_licence": "vehicle licence (plate)",
    "mot": "MOT",
    "vehicle_insurance": "vehicle insurance",
}


@dataclass(frozen=True)
class Policy:
    """Thresholds a council may set."""

    dbs_max_age_days: int = 3 * 365
    update_check_max_age_days: int = 183
    safeguarding_training_max_age_days: int = 3 * 365
    #: Passenger seats above which a vehicle runs under a PSV licence or section 19 permit.
    max_seats_for_plate: int = 8
    warning_days: tuple[int, ...] = (30, 14, 7)


def policy_from_config(config: dict[str, object]) -> Policy:
    """The policy set in the app config (HTS_COMPLIANCE_* settings)."""
    return Policy(
        dbs_max_age_days=int(config["COMPLIANCE_DBS_MAX_AGE_DAYS"]),  # type: ignore[call-overload]
        update_check_max_age_days=int(config["COMPLIANCE_UPDATE_CHECK_MAX_AGE_DAYS"]),  # type: ignore[call-overload]
        safeguarding_training_max_age_days=int(
            config["COMPLIANCE_SAFEGUARDING_TRAINING_MAX_AGE_DAYS"]  # type: ignore[call-overload]
        ),
        max_seats_for_plate=int(config["COMPLIANCE_MAX_SEATS_FOR_PLATE"]),  # type: ignore[call-overload]
    )


@dataclass(frozen=True)
class DocumentFact:
    """What the rules need to know of one document."""

    document_type: str
    reference: str = ""
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None
    status: str = ACCEPTED_STATUS


@dataclass(frozen=True)
class Decision:
    """A manual suspension or termination of an operator."""

    kind: str  # 'suspended' or 'terminated'
    by: str
    on: dt.date
    reason: str


@dataclass(frozen=True)
class HolderFact:
    """The holder being judged: its kind and what else bears on it."""

    kind: str  # 'operator', 'driver', 'passenger_assistant' or 'vehicle'
    seats: int = 0
    #: The decision standing against the holder's operator (or the operator itself), if any.
    operator_decision: Decision | None = None
    #: Documents the holder's operator holds (a PSV licence covers its minibuses).
    operator_documents: tuple[DocumentFact, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """Compliant or not, with every reason why not."""

    ok: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @staticmethod
    def of(reasons: Iterable[str]) -> Verdict:
        """A verdict that is ok exactly when there are no reasons."""
        found = tuple(reasons)
        return Verdict(ok=not found, reasons=found)


def _label(document_type: str) -> str:
    return LABELS.get(document_type, document_type.replace("_", " "))


def _in_force(document: DocumentFact, day: dt.date) -> bool:
    return (
        document.status == ACCEPTED_STATUS
        and (document.issued_on is None or document.issued_on <= day)
        and (document.expires_on is None or day <= document.expires_on)
    )


def _latest(documents: Iterable[DocumentFact], document_type: str, day: dt.date) -> DocumentFact | None:
    """The most recently issued document of a type, issued by `day` (undated ones last)."""
    candidates = [
        d for d in documents
        if d.document_type == document_type and (d.issued_on is None or d.issued_on <= day)
    ]
    return max(candidates, key=lambda d: (d.issued_on or dt.date.min, d.expires_on or dt.date.max), default=None)


def document_problem(documents: Sequence[DocumentFact], document_type: str, day: dt.date,
                     max_age_days: int | None = None) -> str | None:
    """Why no document of this type is in force on `day`, or None when one is."""
    of_type = [d for d in documents if d.document_type == document_type]
    if any(_in_force(d, day) and (max_age_days is None or d.issued_on is None
                                  or (day - d.issued_on).days <= max_age_days) for d in of_type):
        return None
    label = _label(document_type)
    latest = _latest(of_type, document_type, day)
    if latest is None:
        pending = [d for d in of_type if d.issued_on and d.issued_on > day]
        if pending:
            return f"{label} not valid until {min(d.issued_on for d in pending)}"  # type: ignore[type-var]
        return f"no {label} on record"
    if latest.status != ACCEPTED_STATUS:
        return f"{label} {latest.reference} is {latest.status}, not verified"
    if latest.expires_on is not None and latest.expires_on < day:
        return f"{label} expired {latest.expires_on.isoformat()}"
    assert max_age_days is not None and latest.issued_on is not None
    return f"{label} issued {latest.issued_on.isoformat()} is older than {max_age_days // 365} years"


def dbs_problems(documents: Sequence[DocumentFact], day: dt.date, policy: Policy) -> list[str]:
    """The enhanced DBS rule: a recent certificate, or the Update Service with a recent clear check."""
    checks = [d for d in documents if d.document_type == "dbs_update_check"
              and d.issued_on is not None and d.issued_on <= day]
    latest_check = max(checks, key=lambda d: d.issued_on, default=None)  # type: ignore[arg-type,return-value]
    if latest_check is not None and latest_check.status in BLOCKING_DBS_RESULTS:
        return [
            f"DBS Update Service check on {latest_check.issued_on.isoformat()} returned "  # type: ignore[union-attr]
            f"{latest_check.status}: off routes until a compliance officer reviews it"
        ]
    certificates = [d for d in documents if d.document_type == "dbs_enhanced" and _in_force(d, day)]
    if not certificates:
        return [document_problem(documents, "dbs_enhanced", day) or "no enhanced DBS on record"]
    newest = max(certificates, key=lambda d: d.issued_on or dt.date.min)
    if newest.issued_on is None or (day - newest.issued_on).days <= policy.dbs_max_age_days:
        return []
    if latest_check is not None and latest_check.status in CLEAR_DBS_RESULTS:
        assert latest_check.issued_on is not None
        if (day - latest_check.issued_on).days <= policy.update_check_max_age_days:
            return []
        since = f"the last Update Service check was on {latest_check.issued_on.isoformat()}"
    else:
        since = "no Update Service check on record"
    return [
        f"enhanced DBS issued {newest.issued_on.isoformat()} is older than "
        f"{policy.dbs_max_age_days // 365} years and {since}"
    ]


def evaluate(holder: HolderFact, documents: Sequence[DocumentFact], day: dt.date,
             policy: Policy | None = None) -> Verdict:
    """Whether the holder may work on a route on `day`, with every reason it may not."""
    policy = policy or Policy()
    reasons: list[str] = []
    decision = holder.operator_decision
    if decision is not None:
        whose = "operator" if holder.kind == "operator" else "the operator was"
        reasons.append(f"{whose} {decision.kind} by {decision.by} on {decision.on.isoformat()}: {decision.reason}")
    if holder.kind in ("driver", "passenger_assistant"):
        reasons.extend(dbs_problems(documents, day, policy))
    for document_type in REQUIRED[holder.kind]:
        max_age = policy.safeguarding_training_max_age_days if document_type == "safeguarding_training" else None
        problem = document_problem(documents, document_type, day, max_age)
        if problem:
            reasons.append(problem)
    if holder.kind == "operator":
        licences = [document_problem(documents, t, day) for t in ("operator_licence", "psv_operator_licence")]
        if all(licences):
            reasons.append(licences[0])  # type: ignore[arg-type]
    if holder.kind == "vehicle":
        if holder.seats > policy.max_seats_for_plate:
            held = (*documents, *holder.operator_documents)
            options = [document_problem(held, t, day) for t in ("psv_operator_licence", "section_19_permit")]
            if all(options):
                reasons.append(
                    f"a vehicle with {holder.seats} passenger seats needs a PSV operator licence or "
                    f"a section 19 permit ({options[0]}; {options[1]})"
                )
        else:
            problem = document_problem(documents, "vehicle_licence", day)
            if problem:
                reasons.append(problem)
    return Verdict.of(reasons)


def expiring(documents: Sequence[DocumentFact], day: dt.date, within_days: int) -> list[DocumentFact]:
    """Documents in force on `day` that expire within the next `within_days` days."""
    horizon = day + dt.timedelta(days=within_days)
    return [d for d in documents if _in_force(d, day) and d.expires_on is not None and d.expires_on <= horizon]


def warning_due(document: DocumentFact, day: dt.date, policy: Policy | None = None) -> int | None:
    """The warning threshold (30, 14 or 7 days) that `day` reaches for this document, if any."""
    policy = policy or Policy()
    if document.expires_on is None or not _in_force(document, day):
        return None
    left = (document.expires_on - day).days
    due = [w for w in sorted(policy.warning_days) if left <= w]
    return due[0] if due else None
