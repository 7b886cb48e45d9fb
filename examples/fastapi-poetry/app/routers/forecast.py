from fastapi import APIRouter

router = APIRouter(prefix="/forecast", tags=["forecast"])

CACHE = {"oslo": {"tempC": 3.5, "sky": "overcast"}}


@router.get("/{city}")
def forecast(city: str):
    return CACHE.get(city.lower(), {"tempC": None, "sky": "unknown"})
