from django.shortcuts import render

QUESTIONS = ["What's up?", "Tabs or spaces?"]


def index(request):
    return render(request, "polls/index.html", {"questions": QUESTIONS})
