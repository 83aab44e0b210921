"""Forms of the control room: run outcomes, cancellations, absences and casework.

Field rules that need no database live here (required, formats, ranges); rules across fields
and against the database are the pure functions and services of hts.operations.casework.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from hts.operations.casework import COMPLAINT_CATEGORIES, SAFEGUARDING_CATEGORIES
from hts.operations.models import ClosureKind, RunStatus
from hts.operations.our_runs import OPERATOR_OUTCOMES


def _strip(value: Any) -> Any:
    """Leading and trailing spaces are never meant: '  ' is an empty answer."""
    return value.strip() if isinstance(value, str) else value


REFERENCE = Regexp(r"^[A-Za-z0-9][A-Za-z0-9/_.-]*$",
                   message="A reference may contain only letters, digits and / _ . -")


class _PlainMessage:
    """Mixin: a field whose unparseable input reads as the GOV.UK-style message it was given."""

    bad_value = "Enter a valid value"

    def __init__(self, label: str, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)  # type: ignore[call-arg]
        if message:
            self.bad_value = message

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse as the field type does, with the plain message otherwise."""
        try:
            super().process_formdata(valuelist)  # type: ignore[misc]
        except ValueError:
            raise ValueError(self.bad_value) from None


class _Date(_PlainMessage, DateField):
    """A date (YYYY-MM-DD, what a date input sends)."""


class _Count(_PlainMessage, IntegerField):
    """A whole number."""


class _Time(_PlainMessage, TimeField):
    """A 24-hour time."""

    bad_value = "Enter the arrival time as hours and minutes, like 08:45"


def _date(label: str, what: str, required: bool = True) -> _Date:
    validators = [InputRequired(f"Enter the {what}")] if required else [Optional()]
    return _Date(label, f"The {what} must be a real date, like 2026-11-25", validators=validators)


#: Outcomes the control room records by hand ('under way' comes only from the vehicle).
OUTCOME_CHOICES = [
    (RunStatus.COMPLETED.value, "Completed"),
    (RunStatus.ARRIVED.value, "Arrived at school"),
    (RunStatus.CANCELLED.value, "Cancelled"),
    (RunStatus.NOT_REQUIRED.value, "Not required"),
    (RunStatus.SCHEDULED.value, "Scheduled (undo an outcome recorded in error)"),
]


class OutcomeForm(FlaskForm):
    """How a run went, recorded by hand."""

    status = RadioField("What happened?", choices=OUTCOME_CHOICES,
                        validators=[InputRequired("Choose what happened to the run")])
    arrived_at_school = _Time("Arrival time at school", format="%H:%M", validators=[Optional()])
    pupils_transported = _Count("Pupils transported", "Pupils transported must be a whole number, like 3",
                                validators=[Optional(), NumberRange(min=0, message="Pupils transported must be 0 or more")])
    reason = StringField("Reason", filters=[_strip],
                         validators=[Length(max=300, message="The reason must be 300 characters or fewer")])

    def validate(self, extra_validators: Any = None) -> bool:
        """Field checks, then the rules between fields (arrival time when delivered, reason when cancelled)."""
        ok = super().validate(extra_validators)
        status = self.status.data
        if status in (RunStatus.ARRIVED.value, RunStatus.COMPLETED.value) and self.arrived_at_school.data is None \
                and not self.arrived_at_school.errors:
            self.arrived_at_school.errors = ["Enter the time the run reached school, like 08:45"]
            ok = False
        if status in (RunStatus.CANCELLED.value, RunStatus.NOT_REQUIRED.value) and not (self.reason.data or "").strip():
            self.reason.errors = [*self.reason.errors, "Enter why the run did not go ahead"]
            ok = False
        return ok


class OperatorOutcomeForm(OutcomeForm):
    """How a run went, reported by the operator's office: arrived, completed or cancelled."""

    status = RadioField("What happened?", choices=[(value, text) for value, text in OUTCOME_CHOICES
                                                   if value in {s.value for s in OPERATOR_OUTCOMES}],
                        validators=[InputRequired("Choose what happened to the run")])


class CancelForm(FlaskForm):
    """Cancel a run, with the reason."""

    reason = StringField("Why is the run cancelled?", filters=[_strip], validators=[
        DataRequired("Enter why the run is cancelled"),
        Length(max=300, message="The reason must be 300 characters or fewer")])


class AbsenceForm(FlaskForm):
    """A pupil not travelling today."""

    pupil_id = SelectField("Pupil", coerce=int, choices=[], validate_choice=False,
                           validators=[InputRequired("Choose the pupil who is not travelling")])
    sessions = RadioField("Not travelling on", choices=[("run", "This run only"), ("both", "Either run today")],
                          validators=[InputRequired("Choose this run only or the whole day")])
    reason = StringField("Reason", filters=[_strip], validators=[
        DataRequired("Enter why the pupil is not travelling, for example ill"),
        Length(max=200, message="The reason must be 200 characters or fewer")])


class GenerateForm(FlaskForm):
    """Generate a day's runs."""

    day = _date("Day", "day")


#: The school menu's choice for a closure of every school (snow across the county).
EVERY_SCHOOL = "all"


class ClosureForm(FlaskForm):
    """A school closed for a day or a few: an inset day or an unplanned closure."""

    #: A school's id, or EVERY_SCHOOL; the view checks the school exists.
    school = SelectField("School", choices=[], validate_choice=False,
                         validators=[InputRequired("Choose the school that is closed, or every school")])
    first_day = _date("First day closed", "first day the school is closed")
    last_day = _date("Last day closed (if more than one)", "last day the school is closed", required=False)
    kind = RadioField("Kind of closure", choices=[
        (ClosureKind.CLOSURE.value, "Unplanned closure (for example snow or a heating failure)"),
        (ClosureKind.INSET.value, "Inset day (staff training)")],
                      validators=[InputRequired("Choose an unplanned closure or an inset day")])
    reason = StringField("Reason", filters=[_strip], validators=[
        DataRequired("Enter why the school is closed, for example heating failure"),
        Length(max=200, message="The reason must be 200 characters or fewer")])


class CallDayForm(FlaskForm):
    """A day's calls to the transport line."""

    call_on = _date("Date", "date of the calls")
    received = _Count("Calls received", "Calls received must be a whole number, like 120",
                      validators=[InputRequired("Enter the number of calls received")])
    answered = _Count("Calls answered", "Calls answered must be a whole number, like 110",
                      validators=[InputRequired("Enter the number of calls answered")])


def _reference(what: str) -> StringField:
    return StringField("Reference", filters=[_strip], validators=[
        DataRequired(f"Enter the {what} reference"),
        Length(max=32, message="The reference must be 32 characters or fewer"), REFERENCE])


def _category(choices: tuple[str, ...], what: str) -> SelectField:
    return SelectField("Category", choices=[("", "Choose a category"), *[(c, c) for c in choices]],
                       validators=[InputRequired(f"Choose the category of the {what}")])


class ComplaintForm(FlaskForm):
    """A complaint."""

    reference = _reference("complaint")
    received_on = _date("Date received", "date the complaint was received")
    category = _category(COMPLAINT_CATEGORIES, "complaint")
    operator_id = SelectField("Operator", coerce=lambda v: int(v) if v else None, choices=[], validate_choice=False)
    route_code = StringField("Route code", filters=[_strip], validators=[Optional(), Length(max=32, message="The route code must be 32 characters or fewer")])
    response_due_on = _date("Response due", "date a response is due")
    closed_on = _date("Date closed", "date the complaint was closed", required=False)


class SafeguardingForm(FlaskForm):
    """A safeguarding case."""

    reference = _reference("case")
    opened_on = _date("Date opened", "date the case was opened")
    category = _category(SAFEGUARDING_CATEGORIES, "case")
    route_code = StringField("Route code", filters=[_strip], validators=[Optional(), Length(max=32, message="The route code must be 32 characters or fewer")])
    staff_ref = StringField("Staff reference of the driver or passenger assistant", filters=[_strip], validators=[
        Optional(), Length(max=32, message="The staff reference must be 32 characters or fewer")])
    pupil_ref = StringField("Pupil reference", filters=[_strip], validators=[Optional(), Length(max=32, message="The pupil reference must be 32 characters or fewer")])
    closed_on = _date("Date closed", "date the case was closed", required=False)


class BusPassForm(FlaskForm):
    """A bus pass application."""

    reference = _reference("application")
    received_on = _date("Date received", "date the application was received")
    assessed_on = _date("Date assessed", "date the application was assessed", required=False)


def with_category(field: SelectField, current: str | None) -> None:
    """Keep a stored category outside the usual list selectable on its own record."""
    if current and current not in {value for value, _ in field.choices}:  # type: ignore[union-attr]
        field.choices = [*field.choices, (current, current)]  # type: ignore[misc]
