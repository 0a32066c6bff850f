"""dwebsocket's echo_once and lower_case, from its README, on duck."""
