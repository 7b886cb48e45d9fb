import json
from pathlib import Path


def load_items(path):
    file = Path(path)
    return json.loads(file.read_text()) if file.exists() else []
