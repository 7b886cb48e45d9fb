from fastapi import FastAPI

from app.routers import forecast


def create_app() -> FastAPI:
    application = FastAPI(title="weather-proxy")
    application.include_router(forecast.router)

    @application.get("/healthz")
    def healthz():
        return {"ok": True}

    return application


app = create_app()
