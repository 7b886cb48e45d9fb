from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    project_name: str = "Taskboard"
    api_prefix: str = "/api/v1"


settings = Settings()
