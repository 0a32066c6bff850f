from duck.auth.views import LoginView, LogoutView, SignupView
from duck.urls import path
from tests.auth.project import views

urlpatterns = [
    path("/whoami", views.whoami, name="whoami"),
    path("/counter", views.counter),
    path("/plain", views.plain),
    path("/forget", views.forget),
    path("/note", views.note, name="note"),
    path("/webhook", views.webhook),
    path("/private", views.private),
    path("/private-async", views.private_async),
    path("/profile", views.Profile),
    path("/login", LoginView, name="login"),
    path("/logout", LogoutView, name="logout"),
    path("/signup", SignupView, name="signup"),
    path("/ws/who", views.WhoSocket),
    path("/ws/admin", views.AdminSocket),
    path("/ws/open", views.OpenSocket),
    path("/ws/dweb", views.dweb),
    views.routed,
]
