from duck.contrib.websockets import require_websocket


@require_websocket
def echo_once(request):
    message = request.websocket.wait()
    request.websocket.send(message)
