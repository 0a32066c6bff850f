"""Views of the accounts test project: what each face of duck sees of the session and the user."""

from __future__ import annotations

from duck.auth.decorators import login_required
from duck.auth.mixins import LoginRequiredMixin
from duck.contrib.websockets import WebSocket, WebSocketView, accept_websocket, websocket
from duck.http import HttpResponse, JsonResponse
from duck.middleware.csrf import csrf_exempt
from duck.shortcuts import render
from duck.views import View


def whoami(request):
    return JsonResponse(
        {
            "user": request.user.get_username(),
            "auth": request.auth,
            "client": list(request.client) if request.client else None,
            "scheme": request.scheme,
            "secure": request.is_secure(),
            "host": request.host,
        }
    )


def plain(request):
    return HttpResponse("the same for everyone")  # reads neither the session nor the user


def counter(request):
    request.session["count"] = request.session.get("count", 0) + 1
    return HttpResponse(str(request.session["count"]))


def forget(request):
    request.session.flush()
    return HttpResponse("forgotten")


def note(request):
    """A CSRF-protected form: GET shows it, POST echoes the note."""
    if request.method == "POST":
        return HttpResponse(f"noted: {request.POST.get('text', '')}")
    return render(request, "note.html")


@csrf_exempt
def webhook(request):
    return HttpResponse("hooked")


@login_required
def private(request):
    return HttpResponse(f"private for {request.user.username}")


@login_required
async def private_async(request):
    return HttpResponse(f"async private for {request.user.username}")


class Profile(LoginRequiredMixin, View):
    def get(self, request):
        return HttpResponse(f"profile of {request.user.username}")


class WhoSocket(WebSocketView):
    LOGIN_REQUIRED = True

    async def on_open(self):
        await self.send_text(f"hello {self.request.user.username} count={self.request.session.get('count')}")


class AdminSocket(WebSocketView):
    LOGIN_REQUIRED = True

    async def authorize(self):
        return self.request.user.is_staff

    async def on_open(self):
        await self.send_text("welcome, staff")


class OpenSocket(WebSocketView):
    async def on_open(self):
        user, session = self.request.user, self.request.session
        await self.send_text(f"user={user.get_username() or '-'} auth={self.request.auth} count={session.get('count')}")


@login_required
@accept_websocket
async def dweb(request):
    if request.is_websocket():
        await request.websocket.send(f"dweb {request.user.username}")
        return None
    return HttpResponse("plain")


@websocket("/ws/routed", name="routed", login_required=True)
async def routed(ws: WebSocket) -> None:
    await ws.accept()
    await ws.send_text(f"routed {ws.user.username} {ws.session.get('count')}")
