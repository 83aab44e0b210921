"""The DBS Update Service client, against a local server answering in the service's format."""

from __future__ import annotations

import datetime as dt
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from hts.compliance.dbs import (
    HttpStatusChecker,
    StatusCheckError,
    StatusCheckRequest,
    run_status_check,
)
from hts.compliance.rules import DocumentFact, HolderFact, evaluate
from tests import factories

RESULTS = {"1": "NO_MATCH_FOUND", "2": "BLANK_NO_NEW_INFO", "3": "NON_BLANK_NO_NEW_INFO", "4": "NEW_INFO"}


class FakeUpdateService(BaseHTTPRequestHandler):
    """Answers like the DBS service: the certificate's first digit picks the result."""

    seen: list[dict[str, list[str]]] = []

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        FakeUpdateService.seen.append(query)
        number = parts.path.rsplit("/", 1)[-1]
        required = {"dateOfBirth", "surname", "hasAgreedTermsAndConditions", "organisationName",
                    "employeeSurname", "employeeForename"}
        if not parts.path.startswith("/crsc/api/status/") or not required <= set(query):
            self._send(400, "text/plain", "Errors: missing parameters")
        elif number.startswith("9"):
            self._send(500, "text/plain", "Internal Server Error")
        elif number[0] in RESULTS:
            self._send(200, "application/xml", f"""<statusCheckResult>
    <statusCheckResultType>SUCCESS</statusCheckResultType>
    <status>{RESULTS[number[0]]}</status>
    <forename>ALEX</forename><surname>{query['surname'][0].upper()}</surname>
    <printDate class="sql-date">2025-04-22</printDate>
</statusCheckResult>""")
        else:
            self._send(400, "text/plain", "Unrecognised disclosureRef")

    def _send(self, code: int, kind: str, body: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def service_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeUpdateService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def request(number: str) -> StatusCheckRequest:
    return StatusCheckRequest(number, "Jones", dt.date(1980, 2, 29), "Test Council", "Pat", "Officer")


@pytest.mark.parametrize(("number", "status"), [("212345678901", "BLANK_NO_NEW_INFO"),
                                                ("312345678901", "NON_BLANK_NO_NEW_INFO"),
                                                ("412345678901", "NEW_INFO"),
                                                ("112345678901", "NO_MATCH_FOUND")])
def test_each_result_code_is_read_from_the_services_answer(service_url, number, status):
    result = HttpStatusChecker(service_url).check(request(number))
    assert result.status == status
    assert result.print_date == dt.date(2025, 4, 22)


def test_the_request_carries_the_inputs_in_the_services_format(service_url):
    HttpStatusChecker(service_url).check(request("212345678901"))
    query = FakeUpdateService.seen[-1]
    assert query["dateOfBirth"] == ["29/02/1980"]
    assert query["hasAgreedTermsAndConditions"] == ["true"]
    assert query["organisationName"] == ["Test Council"]
    assert (query["employeeForename"], query["employeeSurname"]) == (["Pat"], ["Officer"])


@pytest.mark.parametrize(("number", "message"), [
    ("912345678901", "refused the check (500)"),
    ("512345678901", "refused the check (400): Unrecognised disclosureRef"),
    ("12345", "is not 12 digits"),
])
def test_failures_become_a_readable_error(service_url, number, message):
    with pytest.raises(StatusCheckError, match=re.escape(message)):
        HttpStatusChecker(service_url).check(request(number))


def test_an_unreachable_service_is_a_readable_error():
    with pytest.raises(StatusCheckError, match="could not be reached"):
        HttpStatusChecker("http://127.0.0.1:9", timeout_seconds=2).check(request("212345678901"))


def test_a_new_info_result_is_stored_and_takes_the_person_off_routes(service_url, db_session):
    staff = factories.make_staff(db_session, last_name="Jones")
    document = run_status_check(db_session, HttpStatusChecker(service_url), staff=staff,
                                certificate_number="412345678901", organisation_name="Test Council",
                                checker_name="Pat Officer", today=dt.date(2026, 11, 25))
    assert (document.document_type, document.status, document.recorded_by) == \
        ("dbs_update_check", "NEW_INFO", "Pat Officer")
    facts = [DocumentFact(document.document_type, document.reference, document.issued_on, None, document.status)]
    verdict = evaluate(HolderFact("driver"), facts, dt.date(2026, 11, 25))
    assert "returned NEW_INFO" in verdict.reasons[0]
