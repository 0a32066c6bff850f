"""Tests of the dwebsocket and Starlette/Ravyn faces, on duck's server and under uvicorn."""
