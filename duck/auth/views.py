"""Ready-made views: ``LoginView``, ``LogoutView``, ``SignupView``, each rendering one template.

::

    path("/login", LoginView, name="login"),       # templates/login.html: a form posting username, password
    path("/logout", LogoutView, name="logout"),    # templates/logout.html: a button posting to /logout
    path("/signup", SignupView, name="signup"),    # templates/signup.html: username, password

Templates get ``error`` (a message, or None) and ``next`` (where to go afterwards); forms must carry
``{{ csrf_input() }}``. After a login or signup the browser goes to ``next`` when it is a path of this
site (never another site: no open redirect), else to ``LOGIN_REDIRECT_URL``. Logging out takes a POST
(a link or an image could otherwise log people out); GET shows the page with the button.
"""

from __future__ import annotations

from typing import Any, ClassVar

from duck.auth.users import authenticate, create_user, login, logout
from duck.conf import settings
from duck.http.request import Request
from duck.http.response import HttpResponse
from duck.shortcuts import redirect, render, resolve_url
from duck.views import View

__all__ = ["LoginView", "LogoutView", "SignupView", "safe_next"]


def safe_next(request: Request, default: str) -> str:
    """The ``next`` the form or query names if it is a path on this site, else ``default`` resolved."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # "/path" only: "//evil.example" and "/\\evil.example" are other hosts to browsers.
    if target.startswith("/") and not target.startswith(("//", "/\\")) and not any(c < " " for c in target):
        return target
    return resolve_url(default)


class LoginView(View):
    """GET: the login form. POST ``username`` (or email) and ``password``: log in and redirect, or the form again."""

    template_name: ClassVar[str] = "login.html"

    def get(self, request: Request) -> HttpResponse:
        return render(request, self.template_name, {"error": None, "next": request.GET.get("next", "")})

    def post(self, request: Request) -> HttpResponse:
        username = request.POST.get("username", "").strip()
        user = authenticate(request, username=username, password=request.POST.get("password", ""))
        if user is None:
            context = {
                "error": "Wrong username or password.",
                "next": request.POST.get("next", ""),
                "username": username,
            }
            return render(request, self.template_name, context, status=400)
        login(request, user)
        return redirect(safe_next(request, settings.LOGIN_REDIRECT_URL))


class LogoutView(View):
    """GET: a page with a log-out button (or saying you are logged out). POST: log out.

    A form field ``everywhere`` (any non-empty value) logs out every session of the user, everywhere.
    """

    template_name: ClassVar[str] = "logout.html"

    def get(self, request: Request) -> HttpResponse:
        return render(request, self.template_name, {"error": None, "next": ""})

    def post(self, request: Request) -> HttpResponse:
        logout(request, everywhere=bool(request.POST.get("everywhere")))
        if settings.LOGOUT_REDIRECT_URL is not None:
            return redirect(resolve_url(settings.LOGOUT_REDIRECT_URL))
        return render(request, self.template_name, {"error": None, "next": ""})


class SignupView(View):
    """GET: the signup form. POST ``username``, ``password`` (and ``email``): create the user and log in."""

    template_name: ClassVar[str] = "signup.html"

    def get(self, request: Request) -> HttpResponse:
        return render(request, self.template_name, {"error": None, "next": request.GET.get("next", "")})

    def post(self, request: Request) -> HttpResponse:
        form: Any = request.POST
        username = form.get("username", "").strip()
        try:
            user = create_user(username, form.get("password", ""), email=form.get("email") or None)
        except ValueError as exc:
            context = {"error": str(exc), "next": form.get("next", ""), "username": username}
            return render(request, self.template_name, context, status=400)
        login(request, user)
        return redirect(safe_next(request, settings.LOGIN_REDIRECT_URL))
