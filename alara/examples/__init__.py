"""Small applications that show alara in use; installed with the package, so they run as is.

``alara.examples.asgi``: a Starlette application serving tokens, with a health endpoint
(``uvicorn alara.examples.asgi:app``; needs ``starlette`` and an ASGI server).
"""
