"""Django's TFB views and URL conf, ORM only (the models are unmanaged: the benchmark made the tables)."""

from common_tfb import EXTRA_FORTUNE, query_count, random_id
from django.db import models, transaction
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import path


class World(models.Model):
    randomnumber = models.IntegerField()

    class Meta:
        app_label = "django_tfb"
        db_table = "world"
        managed = False


class Fortune(models.Model):
    message = models.CharField(max_length=2048)

    class Meta:
        app_label = "django_tfb"
        db_table = "fortune"
        managed = False


def db(request):
    world = World.objects.get(id=random_id())
    return JsonResponse({"id": world.id, "randomNumber": world.randomnumber})


def queries(request):
    count = query_count(request.GET.get("queries"))
    worlds = [World.objects.get(id=random_id()) for _ in range(count)]
    return JsonResponse([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds], safe=False)


def fortunes(request):
    rows = [(f.id, f.message) for f in Fortune.objects.all()]
    rows.append((0, EXTRA_FORTUNE))
    rows.sort(key=lambda row: row[1])
    return render(request, "fortunes.html", {"fortunes": rows})


def updates(request):
    count = query_count(request.GET.get("queries"))
    worlds = sorted((World.objects.get(id=random_id()) for _ in range(count)), key=lambda w: w.id)
    for world in worlds:
        world.randomnumber = random_id()
    with transaction.atomic():
        World.objects.bulk_update(worlds, ["randomnumber"])
    return JsonResponse([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds], safe=False)


urlpatterns = [path("db", db), path("queries", queries), path("fortunes", fortunes), path("updates", updates)]
