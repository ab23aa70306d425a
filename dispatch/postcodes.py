"""German postal codes to coordinates, from the bundled GeoNames table (CC BY 4.0, see
``dispatch/data/README.md``), and great-circle distances between them."""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass
from pathlib import Path

from hotline.core.errors import DomainError

DATA_FILE = Path(__file__).resolve().parent / "data" / "de_postal_codes.csv"
EARTH_RADIUS_KM = 6371.0


class UnknownPostalCode(DomainError):
    """A postal code that is malformed or not in the table."""


@dataclass(frozen=True)
class Place:
    postal_code: str
    name: str
    lat: float
    lon: float
    state: str


@functools.cache
def _table() -> dict[str, Place]:
    with DATA_FILE.open(encoding="utf-8", newline="") as fh:
        return {
            row["plz"]: Place(
                row["plz"], row["place"], float(row["lat"]), float(row["lon"]), row["state"]
            )
            for row in csv.DictReader(fh)
        }


def all_places() -> list[Place]:
    return list(_table().values())


def lookup(code: str) -> Place:
    """The place for a 5-digit German postal code, or :class:`UnknownPostalCode`."""
    clean = (code or "").strip().replace(" ", "")
    if len(clean) != 5 or not clean.isdigit():
        raise UnknownPostalCode("postal_code_malformed", code=code)
    place = _table().get(clean)
    if place is None:
        raise UnknownPostalCode("postal_code_unknown", code=clean)
    return place


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance; plenty accurate for "within 10 km"."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing the circle of ``km`` around a point, so
    an index on (lat, lon) narrows the candidates before the exact distance is computed."""
    dlat = km / 111.0
    dlon = km / (111.320 * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
