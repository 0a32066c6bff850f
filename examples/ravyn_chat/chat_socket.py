from duck.contrib.websockets import WebSocket, WebSocketDisconnect, websocket


@websocket("/ws/{client_id}")
async def chat_socket(websocket: WebSocket, client_id: str) -> None:
    # 1. Accept the connection
    await websocket.accept()
    try:
        # 2. Communication loop
        while True:
            # Wait for data from client
            data = await websocket.receive_text()
            # Send data back to client
            await websocket.send_text(f"Message from {client_id}: {data}")
    except WebSocketDisconnect:
        # 3. Handle disconnection
        print(f"Client {client_id} disconnected")


urlpatterns = [chat_socket]
