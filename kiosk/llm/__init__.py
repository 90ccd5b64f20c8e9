"""Language models behind one small interface: in-process llama.cpp or a remote server.

`import kiosk.llm` is cheap: llama_cpp is imported only when a local model loads.
"""

from kiosk.llm.base import ChatModel, LLMError, Message, load_chat_model

__all__ = ["ChatModel", "LLMError", "Message", "load_chat_model"]
