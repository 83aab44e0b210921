"""Configuration: the only module that reads os.environ.

Every setting has a default here. Policy numbers that a council may change (walking distances,
journey limits, dwell times) live in the domain modules as settings read from the app config.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_PREFIX = "HTS_"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


ROUTING_ENGINES = ("auto", "ortools", "pyvrp")


def routing_engine(value: str) -> str:
    """An optimiser engine's name, normalised; ValueError if it is not one of ROUTING_ENGINES."""
    if value.strip().lower() not in ROUTING_ENGINES:
        raise ValueError(f"must be one of {', '.join(ROUTING_ENGINES)}, not {value!r}")
    return value.strip().lower()


def environ(name: str) -> str | None:
    """The raw HTS_<name> environment variable (code outside the app, such as benchmarks and
    solver workers, reads settings through here too)."""
    return os.environ.get(ENV_PREFIX + name)


#: name -> (default, converter). Anything here can be set as HTS_<NAME> in the environment.
SETTINGS: dict[str, tuple[Any, Any]] = {
    "DATABASE_URL": (None, str),
    "SECRET_KEY": (None, str),
    # Serve cookies with the Secure flag; turn off only for plain-HTTP local use.
    "SECURE_COOKIES": (False, _bool),
    # Geocoding: "postcodes" (the offline table loaded by `hts import postcodes`) or
    # "nominatim" (geopy's Nominatim against GEOCODER_URL, e.g. a council's own server).
    "GEOCODER": ("postcodes", str),
    "GEOCODER_URL": ("", str),
    "GEOCODER_USER_AGENT": ("hts", str),
    "GEOCODER_TIMEOUT_SECONDS": (5.0, float),
    # Login throttling: this many failures within the window locks out the account or address.
    "LOGIN_MAX_FAILURES": (5, int),
    "LOGIN_WINDOW_MINUTES": (15, int),
    # Travel model for planned times (routing replaces it with its own providers).
    "TRAVEL_DETOUR_FACTOR": (1.3, float),
    "TRAVEL_SPEED_KMH": (25.0, float),
    "ARRIVAL_BEFORE_START_MINUTES": (10, int),
    "DWELL_WALK_ON_SECONDS": (120, int),
    "DWELL_WHEELCHAIR_SECONDS": (600, int),
    "MAX_RIDE_MINUTES_PRIMARY": (45, int),
    "MAX_RIDE_MINUTES_SECONDARY": (75, int),
    # Compliance thresholds (domain.md defaults).
    "COMPLIANCE_DBS_MAX_AGE_DAYS": (3 * 365, int),
    "COMPLIANCE_UPDATE_CHECK_MAX_AGE_DAYS": (183, int),
    "COMPLIANCE_SAFEGUARDING_TRAINING_MAX_AGE_DAYS": (3 * 365, int),
    "COMPLIANCE_MAX_SEATS_FOR_PLATE": (8, int),
    # Gateway reviews: share of an operator's staff sampled, and how often (about a term).
    "GATEWAY_REVIEW_SAMPLE_SHARE": (0.10, float),
    "GATEWAY_REVIEW_INTERVAL_DAYS": (122, int),
    # The DBS Update Service (status checks) and the name the council checks under.
    "DBS_UPDATE_SERVICE_URL": ("https://secure.crbonline.gov.uk", str),
    "DBS_ORGANISATION_NAME": ("", str),
    # A run is on time when it reaches school no later than this many minutes after the bell.
    "ON_TIME_TOLERANCE_MINUTES": (0, int),
    # SITREP targets (percent) shown beside each figure on the dashboard and in the report, and
    # how far below a target a figure may be before it reads "well below target".
    "TARGET_ROUTES_DELIVERED_PCT": (99.0, float),
    "TARGET_ON_TIME_PCT": (99.0, float),
    "TARGET_PUPILS_TRANSPORTED_PCT": (99.8, float),
    "TARGET_CALLS_ANSWERED_PCT": (90.0, float),
    "TARGET_AMBER_MARGIN_PCT": (1.0, float),
    # Planning (hts plan): arrival window before the bell, vehicle types, PA cost, school sharing.
    "PLAN_ARRIVE_EARLIEST_MINUTES": (30, int),
    "PLAN_ARRIVE_LATEST_MINUTES": (5, int),
    # name:seats:wheelchair_spaces:daily_price_pence[:available], comma separated.
    "PLAN_VEHICLE_TYPES": ("car:4:0:9500,mpv:6:0:12000,wav:4:1:16000,minibus:14:1:21000", str),
    "PLAN_PA_DAILY_COST_PENCE": (6500, int),
    "PLAN_WORKERS": (2, int),
    # Nearby schools may share a vehicle when this close by road (metres); 0: one school per vehicle.
    "PLAN_SHARE_SCHOOLS_WITHIN_METRES": (0, int),
    # Route change control: publishing with fewer school days' notice than this warns the planner
    # and tells the operator the change is at short notice.
    "CHANGE_NOTICE_SCHOOL_DAYS": (5, int),
    # A road-routing server speaking OSRM's table API for the optimiser (blank: straight line x detour).
    "ROUTING_OSRM_URL": ("", str),
    "ROUTING_OSRM_PROFILE": ("driving", str),
    # Optimiser engine per school: auto (PyVRP where it models every rule, else OR-Tools), ortools, pyvrp.
    "ROUTING_ENGINE": ("auto", routing_engine),
    "PAGE_SIZE": (50, int),
    "MAP_TILE_URL": ("", str),
    "MAIL_SMTP_HOST": ("", str),
    "MAIL_SMTP_PORT": (25, int),
    "MAIL_FROM": ("hts@localhost", str),
    # The council's transport office, printed on run sheets for operators and crews.
    "CONTACT_PHONE": ("0121 496 0000", str),
    "CONTACT_EMAIL": ("transport@council.example", str),
    # Pupils who left transport more than this many years ago are anonymised (hts/privacy/retention.py).
    "RETENTION_YEARS": (6, int),
}


def load(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the app config from defaults, HTS_* environment variables and overrides."""
    config: dict[str, Any] = {}
    for name, (default, convert) in SETTINGS.items():
        raw = environ(name)
        try:
            config[name] = convert(raw) if raw not in (None, "") else default
        except ValueError as exc:  # say which setting, so the fix is obvious
            raise ValueError(f"{ENV_PREFIX}{name}={raw!r} is not valid: {exc}") from None
    if overrides:
        config.update(overrides)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'hts.sqlite3'}"
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(Path(instance_path))
    config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config["SECURE_COOKIES"],
        REMEMBER_COOKIE_SECURE=config["SECURE_COOKIES"],
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
    )
    return config


def _instance_secret(instance_path: Path) -> str:
    """A per-installation secret kept in the instance folder, so sessions survive restarts."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
