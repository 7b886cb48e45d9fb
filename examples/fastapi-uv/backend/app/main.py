from fastapi import FastAPI
from pydantic import BaseModel

from app.config import settings

app = FastAPI(title=settings.project_name)


class Task(BaseModel):
    id: int
    title: str
    done: bool = False


TASKS = [Task(id=1, title="Write the README"), Task(id=2, title="Ship v0.1", done=True)]


@app.get("/")
def root():
    return {"service": settings.project_name, "tasks": len(TASKS)}


@app.get(f"{settings.api_prefix}/tasks", response_model=list[Task])
def list_tasks():
    return TASKS
