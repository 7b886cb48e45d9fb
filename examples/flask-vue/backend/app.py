import os

from flask import Flask, jsonify, request
from flask_cors import CORS

app = Flask(__name__)
CORS(app, resources={r"/api/*": {"origins": "*"}})

BOOKS = [
    {"id": 1, "title": "On the Road", "author": "Jack Kerouac", "read": True},
    {"id": 2, "title": "Harry Potter and the Philosopher's Stone", "author": "J. K. Rowling", "read": False},
]


@app.get("/api/ping")
def ping():
    return jsonify(status="pong")


@app.route("/api/books", methods=["GET", "POST"])
def books():
    if request.method == "POST":
        book = request.get_json()
        book["id"] = len(BOOKS) + 1
        BOOKS.append(book)
        return jsonify(book), 201
    return jsonify(BOOKS)


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("FLASK_PORT", 5001)))
