"""DBS Update Service status checks, behind a small interface.

The service answers a GET on `/crsc/api/status/<certificate number>` with the holder's date of
birth and surname, the checking organisation and the checker's names, in XML:
`<statusCheckResult><statusCheckResultType>SUCCESS</statusCheckResultType>
<status>BLANK_NO_NEW_INFO</status>...</statusCheckResult>`.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from hts.operators.models import DBS_RESULT_CODES, Document, HolderType, Staff

CERTIFICATE_NUMBER = re.compile(r"^\d{12}$")


class StatusCheckError(Exception):
    """The check could not be made; the message says why, for the officer to act on."""


@dataclass(frozen=True)
class StatusCheckRequest:
    """What the Update Service needs to answer for one certificate."""

    certificate_number: str
    surname: str
    date_of_birth: dt.date
    organisation_name: str
    checker_forename: str
    checker_surname: str


@dataclass(frozen=True)
class StatusCheckResult:
    """The service's answer: one of the four result codes."""

    status: str
    print_date: dt.date | None = None


class StatusChecker(Protocol):
    """Anything that can run a status check (the HTTP client, or a fake in tests)."""

    def check(self, request: StatusCheckRequest) -> StatusCheckResult:
        """Run one status check."""
        ...


@dataclass(frozen=True)
class HttpStatusChecker:
    """The DBS Update Service over HTTPS at a configured base URL."""

    base_url: str
    timeout_seconds: float = 10.0

    def url(self, request: StatusCheckRequest) -> str:
        """The status check URL for a request."""
        query = urllib.parse.urlencode({
            "dateOfBirth": request.date_of_birth.strftime("%d/%m/%Y"),
            "surname": request.surname,
            "hasAgreedTermsAndConditions": "true",
            "organisationName": request.organisation_name,
            "employeeSurname": request.checker_surname,
            "employeeForename": request.checker_forename,
        })
        number = urllib.parse.quote(request.certificate_number)
        return f"{self.base_url.rstrip('/')}/crsc/api/status/{number}?{query}"

    def check(self, request: StatusCheckRequest) -> StatusCheckResult:
        """Ask the service; raise StatusCheckError with a readable reason on any failure."""
        if not CERTIFICATE_NUMBER.match(request.certificate_number):
            raise StatusCheckError(f"certificate number '{request.certificate_number}' is not 12 digits")
        try:
            with urllib.request.urlopen(self.url(request), timeout=self.timeout_seconds) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace").strip()[:300]
            raise StatusCheckError(f"the Update Service refused the check ({exc.code}): {detail}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise StatusCheckError(f"the Update Service could not be reached: {exc}") from None
        return parse_result(body)


def parse_result(body: bytes) -> StatusCheckResult:
    """Read the service's XML answer."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise StatusCheckError("the Update Service sent an answer that is not XML") from None
    outcome = (root.findtext("statusCheckResultType") or "").strip()
    status = (root.findtext("status") or "").strip()
    if outcome != "SUCCESS" or status not in DBS_RESULT_CODES:
        raise StatusCheckError(f"the Update Service answered {outcome or 'nothing'} / {status or 'no status'}")
    printed = (root.findtext("printDate") or "").strip()
    try:
        print_date = dt.date.fromisoformat(printed) if printed else None
    except ValueError:
        print_date = None
    return StatusCheckResult(status=status, print_date=print_date)


def run_status_check(session: Session, checker: StatusChecker, *, staff: Staff, certificate_number: str,
                     organisation_name: str, checker_name: str, today: dt.date) -> Document:
    """Check one person's certificate and store the answer as a `dbs_update_check` document."""
    forename, _, surname = checker_name.strip().partition(" ")
    result = checker.check(StatusCheckRequest(
        certificate_number=certificate_number.strip(), surname=staff.last_name,
        date_of_birth=staff.date_of_birth, organisation_name=organisation_name,
        checker_forename=forename or checker_name, checker_surname=surname or checker_name,
    ))
    document = Document(
        holder_type=HolderType.STAFF, staff=staff, document_type="dbs_update_check",
        reference=certificate_number.strip(), issued_on=today, status=result.status,
        recorded_by=checker_name,
    )
    session.add(document)
    session.flush()
    return document
