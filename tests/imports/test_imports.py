"""Importing each kind: good files, every rejection reason, re-import, dry run, all or nothing."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from sqlalchemy import func, select

from hts.imports.kinds import KINDS
from hts.operators.models import Document, Operator, Staff, StaffRole, Vehicle, VehicleType
from hts.people.models import Postcode, Pupil, School
from hts.routing.models import Route
from tests import factories
from tests.imports.conftest import ORDER, csv_text, problems_of

SCHOOL_HEADER = "urn,name,postcode,latitude,longitude,start_time,finish_time"
PUPIL_HEADER = ("pupil_ref,first_name,last_name,date_of_birth,school_urn,address,postcode,latitude,"
                "longitude,wheelchair,passenger_assistant,solo,max_ride_minutes,travel_days")


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_every_kinds_example_file_imports(examples, db_session):
    assert {k: r.created for k, r in examples.items()} == {
        "postcodes": 4, "schools": 2, "pupils": 2, "operators": 2, "staff": 2, "vehicles": 3,
        "documents": 4, "routes": 2, "calendar": 4, "incompatibilities": 1, "runs": 3, "calls": 2,
        "complaints": 2, "safeguarding": 1, "bus_passes": 2}
    school = db_session.scalar(select(School).where(School.urn == "103999"))
    assert (school.latitude, school.longitude) == (52.530127, -1.835712)  # from the postcode table
    jack = db_session.scalar(select(Pupil).where(Pupil.pupil_ref == "P000102"))
    assert jack.date_of_birth == dt.date(2011, 11, 2) and jack.wheelchair and jack.max_ride_minutes == 60
    assert jack.addresses[0].geocoded_by == "postcodes"
    assert db_session.scalar(select(Vehicle).where(Vehicle.registration == "WX68 WAV")).vehicle_type == VehicleType.WAV
    assert db_session.scalar(select(Staff).where(Staff.staff_ref == "S0002")).role == StaffRole.PASSENGER_ASSISTANT
    check = db_session.scalar(select(Document).where(Document.document_type == "dbs_update_check"))
    assert check.status == "BLANK_NO_NEW_INFO" and check.staff.staff_ref == "S0001"


def test_importing_the_same_files_again_changes_nothing_and_writes_no_audit(examples, load, audit_count):
    before = audit_count()
    for kind in ORDER:
        report = load(kind, KINDS[kind].example_csv())
        assert (report.created, report.updated, report.unchanged) == (0, 0, report.rows_read), kind
    assert audit_count() == before


def test_a_changed_value_is_updated_and_audited(examples, load, audit_count, db_session):
    before = audit_count()
    text = KINDS["schools"].example_csv().replace("Hillside Primary School", "Hillside Primary")
    report = load("schools", text)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert audit_count() == before + 1
    assert db_session.scalar(select(School.name).where(School.urn == "103456")) == "Hillside Primary"


def test_shared_care_makes_a_second_address_and_the_main_one_keeps_the_other_days(examples, db_session):
    jack = db_session.scalar(select(Pupil).where(Pupil.pupil_ref == "P000102"))
    main, alt = jack.addresses
    assert main.is_main and main.days == 0b00111 and not alt.is_main and alt.days == 0b11000
    assert jack.address_on(dt.date(2026, 9, 4)).address == "9 Brook Street"  # a Friday
    assert jack.address_on(dt.date(2026, 9, 1)).address == "4 Mill Lane"  # a Tuesday


def test_removing_the_shared_care_columns_removes_the_second_address(examples, load, db_session):
    lines = KINDS["pupils"].example_csv().splitlines()
    lines[2] = ",".join(lines[2].split(",")[:14] + ["", "", "", "", ""])
    report = load("pupils", "\n".join(lines))
    assert report.ok and report.updated == 1
    jack = db_session.scalar(select(Pupil).where(Pupil.pupil_ref == "P000102"))
    assert [a.is_main for a in jack.addresses] == [True] and jack.addresses[0].days == 0b11111


def test_a_bad_row_rejects_the_whole_file_and_nothing_is_written(load, db_session):
    report = load("schools", csv_text(
        SCHOOL_HEADER,
        "1001,Good School,B1 1AA,52.48,-1.9,09:00,15:00",
        "1002,Bad School,B1 1AA,52.48,-1.9,9am,15:00",
    ))
    assert not report.ok and problems_of(report) == [(3, "start_time")]
    assert _count(db_session, School) == 0


def test_a_dry_run_reports_counts_but_writes_nothing(load, db_session):
    report = load("schools", csv_text(SCHOOL_HEADER, "1001,Good School,B1 1AA,52.48,-1.9,09:00,15:00"),
                  dry_run=True)
    assert report.ok and report.dry_run and report.created == 1
    assert "nothing was written" in report.summary()
    assert _count(db_session, School) == 0


def test_school_rows_are_checked(load):
    report = load("schools", csv_text(
        SCHOOL_HEADER,
        "1001,A,B1 1AA,52.48,-1.9,09:00,08:00",
        "1002,B,not a postcode,52.48,-1.9,09:00,15:00",
        "1003,C,B1 1AA,40.7,-74.0,09:00,15:00",
        "1004,D,B99 9ZZ,,,09:00,15:00",
        "1001,E,B1 1AA,52.48,,09:00,15:00",
        "1005,F,B1 1AA,52.48,-1.9,09:00,15:00",
        "1005,G,B1 1AA,52.48,-1.9,09:00,15:00",
    ))
    assert problems_of(report) == [(2, "finish_time"), (3, "postcode"), (4, "latitude"),
                                   (5, "postcode"), (6, "longitude"), (8, "urn")]
    messages = {p.line: p.message for p in report.problems}
    assert "outside the UK" in messages[4]
    assert "unresolvable postcode" in messages[5]
    assert "duplicate key" in messages[8]


def test_pupil_rows_are_checked(load, db_session):
    factories.make_school(db_session, urn="2001")
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    report = load("pupils", csv_text(
        PUPIL_HEADER + ",alt_address,alt_postcode,alt_latitude,alt_longitude,alt_days",
        "P1,A,B,2015-01-01,9999,1 Road,B1 1AA,52.5,-1.8,no,no,no,,,,,,,",
        f"P2,A,B,{future},2001,1 Road,B1 1AA,52.5,-1.8,no,no,no,,,,,,,",
        "P3,A,B,2015-01-01,2001,1 Road,B1 1AA,52.5,-1.8,perhaps,no,no,0,,,,,,",
        "P4,A,B,2015-01-01,2001,1 Road,B1 1AA,52.5,-1.8,no,no,no,,Mon Funday,,,,,",
        "P5,A,B,2015-01-01,2001,1 Road,B1 1AA,52.5,-1.8,no,no,no,,Mon Tue,2 Lane,B2 2BB,52.4,-1.7,Wed",
        "P6,A,B,2015-01-01,2001,1 Road,B1 1AA,52.5,-1.8,no,no,no,,,2 Lane,,52.4,-1.7,Fri",
        "P7,A,B,2015-01-01,2001,1 Road,B1 1AA,52.5,-1.8,yes,no,yes,,,,,,,",
    ))
    assert problems_of(report) == [(2, "school_urn"), (3, "date_of_birth"), (4, "max_ride_minutes"),
                                   (4, "wheelchair"), (5, "travel_days"), (6, "alt_days"),
                                   (7, "alt_postcode")]
    assert "unknown school '9999'" in report.problems[0].message


def test_staff_vehicle_and_document_rows_are_checked(load, db_session):
    operator = factories.make_operator(db_session, operator_ref="OPA")
    factories.make_staff(db_session, operator=operator, staff_ref="SA")
    staff = load("staff", csv_text(
        "staff_ref,operator_ref,role,first_name,last_name,date_of_birth",
        "S1,NOPE,driver,A,B,1980-01-01",
        "S2,OPA,pilot,A,B,1980-01-01",
        "S3,OPA,driver,A,B,31/13/1980",
    ))
    assert problems_of(staff) == [(2, "operator_ref"), (3, "role"), (4, "date_of_birth")]
    vehicles = load("vehicles", csv_text(
        "registration,operator_ref,vehicle_type,seats,wheelchair_spaces",
        "AA11 AAA,OPA,car,-1,0",
        "BB11 BBB,OPA,bus,4,0",
        "CC11 CCC,OPA,car,0,0",
        "DD11 DDD,OPA,car,4,0",
        "dd11  ddd,OPA,mpv,6,0",
    ))
    assert problems_of(vehicles) == [(2, "seats"), (3, "vehicle_type"), (4, "seats"), (6, "registration")]
    documents = load("documents", csv_text(
        "holder_type,holder_ref,document_type,reference,issued_on,expires_on,status",
        "staff,SA,dbs_enhanced,12345,2025-01-01,,verified",
        "staff,SA,mot,M1,2025-01-01,,verified",
        "staff,SA,driving_licence,DL1,2025-01-01,2024-01-01,verified",
        "staff,SA,dbs_update_check,123456789012,,,MAYBE",
        "vehicle,ZZ99 ZZZ,mot,M2,2025-01-01,2026-01-01,verified",
        "operator,OPA,passport,X,,,",
    ))
    assert problems_of(documents) == [(2, "reference"), (3, "document_type"), (4, "expires_on"),
                                      (5, "issued_on"), (5, "status"), (6, "holder_ref"),
                                      (7, "document_type")]
    assert "12 digits" in documents.problems[0].message
    assert "a staff cannot hold a mot" in documents.problems[1].message


def test_semicolon_and_tab_files_with_british_dates_import(load, db_session):
    factories.make_operator(db_session, operator_ref="OPB")
    semicolon = load("staff", "staff_ref;operator_ref;role;first_name;last_name;date_of_birth\n"
                              "S1;OPB;driver;Ann;Lee;02/03/1975\n")
    tab = load("staff", "STAFF_REF\tOperator_Ref\trole\tfirst_name\tlast_name\tdate_of_birth\n"
                        "S2\tOPB\tpassenger_assistant\tBo\tKay\t1980-12-31\n")
    assert semicolon.ok and tab.ok
    assert db_session.scalar(select(Staff.date_of_birth).where(Staff.staff_ref == "S1")) == dt.date(1975, 3, 2)


def test_a_file_with_a_byte_order_mark_and_columns_in_another_order_imports(load, db_session):
    data = "\ufeffname,URN,finish_time,start_time,postcode,latitude,longitude,notes\n" \
           "Oak School,3001,15:00,08:45,b1 1aa,52.48,-1.9,ignored\n"
    report = load("schools", data.encode("utf-8"))
    assert report.ok and report.warnings == ["ignored columns not used by a schools import: notes"]
    assert db_session.scalar(select(School.postcode).where(School.urn == "3001")) == "B1 1AA"


def test_an_xlsx_file_imports(load, db_session):
    book = Workbook()
    sheet = book.active
    sheet.append(["operator_ref", "name", "contact_email", "depot_postcode", "depot_latitude", "depot_longitude"])
    sheet.append(["OPX", "Excel Cars", "a@b.example", "B1 1AA", 52.48, -1.9])
    buffer = io.BytesIO()
    book.save(buffer)
    report = load("operators", buffer.getvalue(), filename="operators.xlsx")
    assert report.ok and report.created == 1
    assert db_session.scalar(select(Operator.depot_latitude).where(Operator.operator_ref == "OPX")) == 52.48


def test_missing_and_duplicate_columns_reject_the_file(load):
    missing = load("schools", "urn,name\n1,A\n")
    assert {p.column for p in missing.problems} == {"postcode", "start_time", "finish_time"}
    twice = load("schools", SCHOOL_HEADER + ",name\n1,A,B1 1AA,52.4,-1.9,09:00,15:00,B\n")
    assert problems_of(twice) == [(1, "name")]


def test_a_file_in_another_encoding_is_rejected_as_a_whole(load):
    report = load("schools", (SCHOOL_HEADER + "\n1,Café,B1 1AA,52.4,-1.9,09:00,15:00\n").encode("cp1252"))
    assert [p.text() for p in report.problems] == ["the file is not UTF-8 text: save it as CSV UTF-8"]


def test_postcodes_rows_without_a_location_are_skipped(load, db_session):
    report = load("postcodes", "pcd,pcds,lat,long\nB11AA,b1 1aa,52.48,-1.9\nZZ11ZZ,ZZ1 1ZZ,99.999999,0.000000\n")
    assert report.ok and report.created == 1
    assert any("skipped 1 rows" in w for w in report.warnings)
    assert db_session.get(Postcode, "B1 1AA").latitude == 52.48


def test_the_route_examples_link_their_pupils(examples, db_session):
    route = db_session.scalar(select(Route).where(Route.route_code == "R-103999-PM1"))
    assert [p.pupil_ref for p in route.pupils] == ["P000102"]


class _FailingGeopy:
    def geocode(self, query, **kwargs):
        from geopy.exc import GeocoderTimedOut

        raise GeocoderTimedOut("timed out after 5 s")


class _FoundGeopy:
    def geocode(self, query, **kwargs):
        from types import SimpleNamespace

        return SimpleNamespace(latitude=52.47, longitude=-1.89)


def test_a_geocoder_failure_is_a_problem_on_that_row_not_a_crash(load, db_session):
    from hts.people.geocoding import GeopyGeocoder

    report = load("schools", csv_text(SCHOOL_HEADER, "4001,A,B1 1AA,,,09:00,15:00"),
                  geocoder=GeopyGeocoder(db_session, _FailingGeopy()))
    assert problems_of(report) == [(2, "postcode")]
    assert report.problems[0].message.startswith("could not geocode B1 1AA:")


def test_an_online_geocoder_fills_blank_coordinates(load, db_session):
    from hts.people.geocoding import GeopyGeocoder

    report = load("operators", csv_text(
        "operator_ref,name,contact_email,depot_postcode,depot_latitude,depot_longitude",
        "OPG,Geo Cars,a@geo.example,B1 1AA,,"), geocoder=GeopyGeocoder(db_session, _FoundGeopy()))
    assert report.ok
    assert db_session.scalar(select(Operator.depot_latitude).where(Operator.operator_ref == "OPG")) == 52.47


def test_an_unknown_kind_is_refused(load):
    import pytest

    from hts.imports.service import UnknownKind

    with pytest.raises(UnknownKind):
        load("buses", "a\n1\n")
