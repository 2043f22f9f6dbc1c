"""Fixture module docstring: this long sentence looks like prose but is a docstring, not a prompt."""
import json

SYSTEM_PROMPT = "You are a helpful assistant that answers questions about dates and times."


def make_prompt(question: str) -> str:
    """Build the prompt for one question; a docstring, never a prompt."""
    return f"Answer the question below and think it through carefully.\nQuestion: {question}\nAnswer:"


TEMPLATE = """Read the passage and answer the question.
Think step by step, then give the answer as a single word.
"""

raw_pattern = r"\d+ apples and \d+ oranges are counted by this regular expression text"

# greater-prompt
SHORT = 'Be concise.'

data = json.dumps({"key": "value"})
