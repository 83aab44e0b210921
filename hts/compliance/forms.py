"""Forms of the compliance pages: documents, DBS checks, reviews of documents, decisions,
gateway reviews and assignments.

Field rules that need no database live here (required, formats, dates in order); rules against
the database are the services' (decisions.decide, reviews.*, gates.assign), whose refusals the
views show as form errors.
"""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from hts.compliance.models import ReviewOutcome
from hts.operators.models import DBS_RESULT_CODES, DOCUMENT_STATUSES

TWELVE_DIGITS = re.compile(r"^\d{12}$")
#: What a status check answered, in words an officer reads.
DBS_RESULT_LABELS = {
    "BLANK_NO_NEW_INFO": "Update Service: blank, no new information",
    "NON_BLANK_NO_NEW_INFO": "Update Service: not blank, no new information",
    "NEW_INFO": "Update Service: new information (takes the person off routes)",
    "NO_MATCH_FOUND": "Update Service: no match found (takes the person off routes)",
}
STATUS_LABELS = {"verified": "Verified", "pending": "Pending review", "rejected": "Rejected"}


def _strip(value: Any) -> Any:
    """Leading and trailing spaces are never meant: '  ' is an empty answer."""
    return value.strip() if isinstance(value, str) else value


class _Date(DateField):
    """A date field whose bad input reads as a GOV.UK error message."""

    def __init__(self, label: str, what: str, *, required: bool = True, **kwargs: Any) -> None:
        validators = [InputRequired(f"Enter the {what}")] if required else [Optional()]
        super().__init__(label, validators=validators, **kwargs)
        self.bad_value = f"The {what} must be a real date, like 2026-11-25"

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse YYYY-MM-DD (what a date input sends), with a clear message otherwise."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.bad_value) from None


class DocumentForm(FlaskForm):
    """A document an officer records, or an operator submits as a renewal (always pending)."""

    document_type = SelectField("Document type", validate_choice=False,
                                validators=[InputRequired("Choose the document type")])
    reference = StringField(
        "Reference", filters=[_strip],
        validators=[DataRequired("Enter the document's reference"),
                    Length(max=64, message="A reference is at most 64 characters")],
    )
    issued_on = _Date("Issued on", "date the document was issued")
    expires_on = _Date("Expires on", "expiry date", required=False)
    # Checked by validate_status (officers only): an operator's submission ignores it.
    status = SelectField("Status", default="verified", validate_choice=False)

    def __init__(self, *args: Any, document_types: dict[str, str], officer: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.document_type.choices = [("", "Choose a type")] + list(document_types.items())
        self.officer = officer
        self.status.choices = [(s, STATUS_LABELS[s]) for s in DOCUMENT_STATUSES] + list(DBS_RESULT_LABELS.items())

    def validate_document_type(self, field: SelectField) -> None:
        """Only the types this kind of holder may hold (a vehicle has no DBS certificate)."""
        if field.data not in dict(field.choices[1:]):  # type: ignore[index]
            raise ValidationError("Choose one of the listed document types")

    def validate_reference(self, field: StringField) -> None:
        """A DBS certificate (and the check of one) carries a 12-digit number."""
        if self.document_type.data in ("dbs_enhanced", "dbs_update_check") and field.data \
                and not TWELVE_DIGITS.match(field.data):
            raise ValidationError("A DBS certificate number is 12 digits, like 001234567890")

    def validate_expires_on(self, field: DateField) -> None:
        """A document cannot expire before it was issued."""
        if field.data and self.issued_on.data and field.data < self.issued_on.data:
            raise ValidationError("The expiry date must be on or after the date of issue")

    def validate_status(self, field: SelectField) -> None:
        """An Update Service check has a result code; every other document a review status."""
        if not self.officer:
            return  # an operator's submission is always pending, whatever was sent
        if self.document_type.data == "dbs_update_check" and field.data not in DBS_RESULT_CODES:
            raise ValidationError("Choose the result the DBS Update Service gave")
        if self.document_type.data != "dbs_update_check" and field.data not in DOCUMENT_STATUSES:
            raise ValidationError("Choose verified, pending review or rejected")


class DbsCheckForm(FlaskForm):
    """Ask the DBS Update Service for the status of a member of staff's certificate."""

    certificate_number = StringField(
        "DBS certificate number", filters=[_strip],
        validators=[DataRequired("Enter the DBS certificate number"),
                    Regexp(r"^\d{12}$", message="A DBS certificate number is 12 digits, like 001234567890")],
    )


class DocumentReviewForm(FlaskForm):
    """Verify or reject a document an operator submitted."""

    decision = RadioField("Decision", choices=[("verified", "Verify it: the document is genuine and current"),
                                                ("rejected", "Reject it")],
                          validators=[InputRequired("Choose whether to verify or reject the document")])
    reason = TextAreaField("Reason for rejecting it", filters=[_strip],
                           validators=[Length(max=1000, message="Keep the reason under 1,000 characters")])

    def validate_reason(self, field: TextAreaField) -> None:
        """The operator is told why a document was rejected."""
        if self.decision.data == "rejected" and not field.data:
            raise ValidationError("Say why the document is rejected: the operator is told")


class DecisionForm(FlaskForm):
    """Suspend, reinstate or terminate an operator: a reason, a person and a date."""

    reason = TextAreaField("Reason", filters=[_strip],
                           validators=[DataRequired("Give the reason for the decision"),
                                       Length(max=2000, message="Keep the reason under 2,000 characters")])
    decided_by = StringField("Decided by", filters=[_strip],
                             validators=[DataRequired("Say who made the decision"),
                                         Length(max=200, message="A name is at most 200 characters")])
    decided_on = _Date("Date of the decision", "date of the decision")
    confirm = BooleanField("Yes, terminate this operator")


class OpenReviewForm(FlaskForm):
    """Open a gateway review of an operator."""

    operator_id = SelectField("Operator", coerce=int, validators=[InputRequired("Choose the operator to review")])
    reviewer = StringField("Reviewer", filters=[_strip],
                           validators=[DataRequired("Say who is carrying out the review"),
                                       Length(max=200, message="A name is at most 200 characters")])
    opened_on = _Date("Date opened", "date the review opened")


class ReviewItemForm(FlaskForm):
    """What was seen for one sampled member of staff, and the finding."""

    evidence_seen = TextAreaField(
        "Evidence seen", filters=[_strip],
        validators=[DataRequired("Describe the evidence seen (for example: DBS certificate sighted, badge checked)"),
                    Length(max=2000, message="Keep the evidence under 2,000 characters")],
    )
    outcome = RadioField("Finding", choices=[(o.value, o.value.capitalize()) for o in ReviewOutcome],
                         validators=[InputRequired("Choose the finding")])
    notes = TextAreaField("Notes", filters=[_strip],
                          validators=[Length(max=2000, message="Keep the notes under 2,000 characters")])


class CompleteReviewForm(FlaskForm):
    """Close a gateway review."""

    completed_on = _Date("Date completed", "date the review was completed")
    notes = TextAreaField("Summary", filters=[_strip],
                          validators=[Length(max=4000, message="Keep the summary under 4,000 characters")])


class AssignForm(FlaskForm):
    """Put an operator, vehicle, driver and passenger assistant on a route, through the gate."""

    operator_id = SelectField("Operator", coerce=lambda v: int(v) if v not in (None, "") else None)
    vehicle = StringField("Vehicle registration", filters=[_strip],
                          validators=[Length(max=16, message="A registration is at most 16 characters")])
    driver = StringField("Driver reference", filters=[_strip],
                         validators=[Length(max=32, message="A reference is at most 32 characters")])
    pa = StringField("Passenger assistant reference", filters=[_strip],
                     validators=[Length(max=32, message="A reference is at most 32 characters")])
