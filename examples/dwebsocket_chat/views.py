from duck.contrib.websockets import accept_websocket
from duck.http.response import HttpResponse
from duck.shortcuts import render

# 已连接的 WebSocket 用户列表
websocket_user_list = []


# 聊天页面视图
def chat(request):
    return render(request, "chat.html")


# WebSocket 处理函数
@accept_websocket
def ws_chat(request):
    if not request.is_websocket():
        return HttpResponse("请使用 WebSocket 连接")

    # 连接成功,添加到用户列表中
    websocket_user_list.append(request.websocket)

    # 循环等待消息
    while True:
        message = request.websocket.wait()
        if message is None:
            break

        # 广播消息给所有连接的用户
        for user in websocket_user_list:
            user.send(message)

    # 断开连接,从用户列表中删除
    websocket_user_list.remove(request.websocket)
