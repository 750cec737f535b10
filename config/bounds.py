"""The bounds of every date and number a person can enter, and the validators that hold them.

Every derived date (notice deadline, next review, renewal, consent request date) is computed
from an entered date and an entered number. Keeping dates between 1900 and 2200 and each interval
below its maximum keeps every derived date inside Python's and the databases' range, so date
arithmetic on validated data cannot overflow. The same numbers serve the models, the forms,
the API, the import and the admin, and the README documents them.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import BaseValidator, MaxValueValidator, MinValueValidator
from django.db.models import Model

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2200, 12, 31)
MAX_INTERVAL_MONTHS = 600
MAX_NOTICE_DAYS = 3650
MAX_CONSENT_LEAD_DAYS = 3650

DATE_RANGE_MESSAGE = "Enter a date between 1 January 1900 and 31 December 2200."

DATE_VALIDATORS = [
    MinValueValidator(MIN_DATE, message=DATE_RANGE_MESSAGE),
    MaxValueValidator(MAX_DATE, message=DATE_RANGE_MESSAGE),
]


def bounded(maximum: int, unit: str, minimum: int = 0) -> list[BaseValidator]:
    """Validators for a whole number of `unit` between `minimum` and `maximum`."""
    message = f"Enter a whole number of {unit} from {minimum} to {maximum:,}."
    return [
        MinValueValidator(minimum, message=message),
        MaxValueValidator(maximum, message=message),
    ]


INTERVAL_MONTHS_VALIDATORS = bounded(MAX_INTERVAL_MONTHS, "months", minimum=1)
NOTICE_DAYS_VALIDATORS = bounded(MAX_NOTICE_DAYS, "days")
CONSENT_LEAD_DAYS_VALIDATORS = bounded(MAX_CONSENT_LEAD_DAYS, "days")


def date_in_range(day: date | None) -> bool:
    return day is None or MIN_DATE <= day <= MAX_DATE


def stored_value_problems(instance: Model) -> list[str]:
    """What is wrong with a stored record's bounded values — a row from before the bounds, or
    one written around the services — so its page can say so instead of failing."""
    problems = []
    for model_field in instance._meta.concrete_fields:
        if not any(v in _ALL_BOUND_VALIDATORS for v in model_field.validators):
            continue
        value = getattr(instance, model_field.attname)
        if value is None:
            continue
        try:
            model_field.run_validators(value)
        except ValidationError as error:
            label = str(model_field.verbose_name).capitalize()
            problems.append(f"{label} ({value}): {' '.join(error.messages)} Correct it.")
    return problems


_ALL_BOUND_VALIDATORS = [
    *DATE_VALIDATORS,
    *INTERVAL_MONTHS_VALIDATORS,
    *NOTICE_DAYS_VALIDATORS,
    *CONSENT_LEAD_DAYS_VALIDATORS,
]


def parse_day(raw: str, *, field: str) -> date:
    """A date given as YYYY-MM-DD in a query parameter, within the bounds; a ValidationError
    naming `field` otherwise."""
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationError({field: ["Use a date as YYYY-MM-DD."]}) from None
    if not date_in_range(day):
        raise ValidationError({field: [DATE_RANGE_MESSAGE]})
    return day


def derived_date_problem(label: str, day: date | None) -> str | None:
    """The message for a derived date that leaves the bounds, or None when it is in range."""
    if day is None or date_in_range(day):
        return None
    return (
        f"The {label} would fall on {day:%d %B %Y}, outside the dates Accord keeps "
        "(1 January 1900 to 31 December 2200)."
    )
