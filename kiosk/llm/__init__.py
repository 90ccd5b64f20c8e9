"""Language models behind one small interface: in-process llama.cpp or a remote server.

- `base`: `ChatModel` (the interface), `Message`, `LLMError`.
- `loader`: `load_chat_model` (pick the backend from config), `load_or_templates`.
- `local`: llama-cpp-python in this process; `remote`: an OpenAI-compatible server.

`import kiosk.llm` is cheap: llama_cpp is imported only when a local model loads.
"""
