"""Operators' drivers, passenger assistants and vehicles, sized to the legacy network, and the
documents every one of them holds (most in order, some expiring soon, some expired)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hts.demo import words
from hts.demo.legacy import LAYOUTS, LegacyRoute, VehicleSpec
from hts.demo.people import DemoOperator, words_choice

#: Spare staff and vehicles an operator keeps beyond its routes' needs.
SPARE_DRIVER_SHARE = 0.08
SPARE_PA_SHARE = 0.10
SPARE_VEHICLE_SHARE = 0.05
#: How a document stands today: in order, expiring within 30 days, or expired.
DOCUMENT_STATES = ("valid", "expiring", "expired")
DOCUMENT_STATE_SHARES = (0.945, 0.04, 0.015)
#: DBS certificates on the Update Service, and the results of their latest status checks.
UPDATE_SERVICE_SHARE = 0.4
UPDATE_CHECK_RESULTS = ("BLANK_NO_NEW_INFO", "NON_BLANK_NO_NEW_INFO", "NEW_INFO")
UPDATE_CHECK_SHARES = (0.85, 0.145, 0.005)
#: Share of people whose only DBS certificate is over three years old with no status check.
STALE_DBS_SHARE = 0.01
#: Lifetime of each document type in days (issue to expiry).
LIFETIME_DAYS = {
    "driving_licence": 3652, "driver_badge": 1095, "safeguarding_training": 1095,
    "pa_training": 1095, "council_id_badge": 730, "vehicle_licence": 365, "mot": 365,
    "vehicle_insurance": 365, "operator_licence": 1826, "psv_operator_licence": 1826,
    "public_liability_insurance": 365, "employers_liability_insurance": 365, "contract": 1095,
}
DRIVER_DOCUMENTS = ("driving_licence", "driver_badge", "safeguarding_training", "council_id_badge")
PA_DOCUMENTS = ("safeguarding_training", "pa_training", "council_id_badge")
OPERATOR_DOCUMENTS = ("operator_licence", "public_liability_insurance",
                      "employers_liability_insurance", "contract")
VEHICLE_DOCUMENTS = ("vehicle_licence", "mot", "vehicle_insurance")
#: Vehicles with more passenger seats than this run under the operator's PSV licence, no plate.
MAX_SEATS_FOR_PLATE = 8


@dataclass(frozen=True)
class DemoStaff:
    """A driver or passenger assistant."""

    staff_ref: str
    operator_ref: str
    role: str
    first_name: str
    last_name: str
    date_of_birth: dt.date


@dataclass(frozen=True)
class DemoVehicle:
    """A vehicle of an operator."""

    registration: str
    operator_ref: str
    spec: VehicleSpec


@dataclass(frozen=True)
class DemoDocument:
    """A document held by an operator, a member of staff or a vehicle."""

    holder_type: str
    holder_ref: str
    document_type: str
    reference: str
    issued_on: dt.date | None
    expires_on: dt.date | None
    status: str = "verified"


@dataclass(frozen=True)
class Crew:
    """Who and what runs a route (morning and afternoon alike)."""

    registration: str
    driver_ref: str
    pa_ref: str | None


@dataclass
class Fleet:
    """Every operator's staff and vehicles, and the crew of each legacy route."""

    staff: list[DemoStaff]
    vehicles: list[DemoVehicle]
    crews: list[Crew]


class _Registrations:
    """Unique current-style registrations: area, age identifier, three letters."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def next(self) -> str:
        """A registration not handed out before."""
        while True:
            tail = "".join(words.PLATE_LETTERS[int(i)]
                           for i in self.rng.integers(len(words.PLATE_LETTERS), size=3))
            plate = f"{words_choice(self.rng, words.PLATE_AREAS)}{words_choice(self.rng, words.PLATE_AGES)} {tail}"
            if plate not in self.used:
                self.used.add(plate)
                return plate


def _date_of_birth(rng: np.random.Generator, today: dt.date, youngest: int, oldest: int) -> dt.date:
    return today - dt.timedelta(days=int(rng.integers(youngest * 365 + 1, oldest * 365)))


def equip(rng: np.random.Generator, routes: Sequence[LegacyRoute], operators: Sequence[DemoOperator],
          today: dt.date) -> Fleet:
    """A vehicle and driver for every route, a PA where one is needed, and a few spares."""
    staff: list[DemoStaff] = []
    vehicles: list[DemoVehicle] = []
    crews: list[Crew | None] = [None] * len(routes)
    plates = _Registrations(rng)

    def hire(operator_ref: str, role: str) -> str:
        youngest, oldest = (25, 68) if role == "driver" else (20, 66)
        person = DemoStaff(
            staff_ref=f"S{len(staff) + 10001}", operator_ref=operator_ref, role=role,
            first_name=words_choice(rng, words.FIRST_NAMES), last_name=words_choice(rng, words.LAST_NAMES),
            date_of_birth=_date_of_birth(rng, today, youngest, oldest),
        )
        staff.append(person)
        return person.staff_ref

    def buy(operator_ref: str, spec: VehicleSpec) -> str:
        vehicle = DemoVehicle(registration=plates.next(), operator_ref=operator_ref, spec=spec)
        vehicles.append(vehicle)
        return vehicle.registration

    for operator in operators:
        mine = [i for i, r in enumerate(routes) if r.operator_ref == operator.operator_ref]
        for i in mine:
            route = routes[i]
            crews[i] = Crew(
                registration=buy(operator.operator_ref, route.vehicle),
                driver_ref=hire(operator.operator_ref, "driver"),
                pa_ref=hire(operator.operator_ref, "passenger_assistant") if route.needs_pa else None,
            )
        with_pa = sum(1 for i in mine if routes[i].needs_pa)
        for _ in range(1 + int(len(mine) * SPARE_DRIVER_SHARE)):
            hire(operator.operator_ref, "driver")
        for _ in range(1 + int(with_pa * SPARE_PA_SHARE)):
            hire(operator.operator_ref, "passenger_assistant")
        for _ in range(1 + int(len(mine) * SPARE_VEHICLE_SHARE)):
            kind = words_choice(rng, ("car", "car", "mpv", "wav"))
            seats, spaces = LAYOUTS[kind][int(rng.integers(len(LAYOUTS[kind])))]
            buy(operator.operator_ref, VehicleSpec(kind, seats, spaces))
    return Fleet(staff=staff, vehicles=vehicles, crews=[c for c in crews if c is not None])


class _Documents:
    """Draws documents with realistic dates relative to `today`."""

    def __init__(self, rng: np.random.Generator, today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self.items: list[DemoDocument] = []

    def state(self) -> str:
        """A drawn document state, by DOCUMENT_STATE_SHARES."""
        draw = self.rng.random()
        for state, share in zip(DOCUMENT_STATES, DOCUMENT_STATE_SHARES, strict=True):
            if draw < share:
                return state
            draw -= share
        return DOCUMENT_STATES[-1]

    def digits(self, count: int) -> str:
        """`count` random digits (leading zeros kept)."""
        return f"{int(self.rng.integers(0, 10 ** count)):0{count}d}"

    def letters(self, count: int) -> str:
        """`count` random capital letters from the registration alphabet."""
        return "".join(words.PLATE_LETTERS[int(i)]
                       for i in self.rng.integers(len(words.PLATE_LETTERS), size=count))

    def reference(self, document_type: str, holder_ref: str) -> str:
        """A reference in the style of the issuer of that document type."""
        d, letters = self.digits, self.letters
        if document_type == "driving_licence":
            return f"{letters(5)}{d(6)}9{d(2)}{letters(2)}"
        if document_type == "contract":
            return f"HTS-{self.today.year - 1}-{holder_ref}"
        prefix = {
            "driver_badge": "PHD/", "safeguarding_training": "SG-", "pa_training": "PAT-",
            "council_id_badge": "BCC-ID-", "vehicle_licence": "PHV ", "mot": "",
            "vehicle_insurance": "MV", "operator_licence": "PHO/", "psv_operator_licence": "PD",
            "public_liability_insurance": "PL", "employers_liability_insurance": "EL",
        }[document_type]
        size = {"mot": 12, "vehicle_licence": 5, "operator_licence": 5, "driver_badge": 6,
                "council_id_badge": 6}.get(document_type, 9)
        return f"{prefix}{d(size)}"

    def dated(self, holder_type: str, holder_ref: str, document_type: str,
              state: str | None = None) -> None:
        """A document whose expiry puts it in the given (or a drawn) state today."""
        if state is None:
            state = self.state()
        lifetime = LIFETIME_DAYS[document_type]
        if state == "valid":
            expires = self.today + dt.timedelta(days=int(self.rng.integers(31, lifetime)))
        elif state == "expiring":
            expires = self.today + dt.timedelta(days=int(self.rng.integers(1, 31)))
        else:
            expires = self.today - dt.timedelta(days=int(self.rng.integers(1, 91)))
        issued = expires - dt.timedelta(days=lifetime)
        self.items.append(DemoDocument(holder_type, holder_ref, document_type,
                                       self.reference(document_type, holder_ref), issued, expires))

    def dbs(self, staff_ref: str) -> None:
        """An enhanced DBS certificate; older ones kept current through the Update Service."""
        on_update_service = self.rng.random() < UPDATE_SERVICE_SHARE
        stale = self.rng.random() < STALE_DBS_SHARE
        if stale:
            age_days = int(self.rng.integers(3 * 365 + 10, 5 * 365))
        elif on_update_service:
            age_days = int(self.rng.integers(60, 6 * 365))
        else:
            age_days = int(self.rng.integers(30, 3 * 365 - 40))
        issued = self.today - dt.timedelta(days=age_days)
        self.items.append(DemoDocument("staff", staff_ref, "dbs_enhanced", self.digits(12), issued, None))
        if on_update_service and not stale:
            draw = self.rng.random()
            result = UPDATE_CHECK_RESULTS[0 if draw < UPDATE_CHECK_SHARES[0] else
                                          1 if draw < 1 - UPDATE_CHECK_SHARES[2] else 2]
            checked = self.today - dt.timedelta(days=int(self.rng.integers(1, 150)))
            self.items.append(DemoDocument("staff", staff_ref, "dbs_update_check",
                                           f"UC-{self.digits(8)}", max(checked, issued), None, result))


def make_documents(rng: np.random.Generator, operators: Sequence[DemoOperator], fleet: Fleet,
                   today: dt.date, lapsed_operator_ref: str) -> list[DemoDocument]:
    """Every holder's documents; the lapsed operator's public liability insurance has expired."""
    docs = _Documents(rng, today)
    runs_minibuses = {v.operator_ref for v in fleet.vehicles if v.spec.seats > MAX_SEATS_FOR_PLATE}
    for operator in operators:
        ref = operator.operator_ref
        for document_type in OPERATOR_DOCUMENTS:
            # Operators keep their papers in order, bar renewals falling due and the one lapse.
            if ref == lapsed_operator_ref and document_type == "public_liability_insurance":
                state = "expired"
            else:
                state = "expiring" if rng.random() < 0.05 else "valid"
            docs.dated("operator", ref, document_type, state)
        if ref in runs_minibuses:
            docs.dated("operator", ref, "psv_operator_licence", "valid")
    for person in fleet.staff:
        docs.dbs(person.staff_ref)
        for document_type in DRIVER_DOCUMENTS if person.role == "driver" else PA_DOCUMENTS:
            docs.dated("staff", person.staff_ref, document_type)
    for vehicle in fleet.vehicles:
        for document_type in VEHICLE_DOCUMENTS:
            if document_type == "vehicle_licence" and vehicle.spec.seats > MAX_SEATS_FOR_PLATE:
                continue
            docs.dated("vehicle", vehicle.registration, document_type)
    return docs.items
