"""Writing the answer: the excerpts the model reads, the prompts, the chat model (llama.cpp or an OpenAI-style
server), and the extractive answerer used without one."""
