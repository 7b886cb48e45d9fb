import os
from datetime import date

from flask import Flask, jsonify, render_template

app = Flask(__name__)

RECIPES = [
    {"slug": "shakshuka", "title": "Shakshuka", "minutes": 30},
    {"slug": "dal", "title": "Red lentil dal", "minutes": 40},
]


@app.route("/")
def index():
    return render_template("index.html", recipes=RECIPES, today=date.today())


@app.route("/api/recipes")
def recipes():
    return jsonify(RECIPES)


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", 5000)), debug=True)
