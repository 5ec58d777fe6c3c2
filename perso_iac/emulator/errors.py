"""AWS-shaped errors: HTTP status + ``{"__type": code, "message": ...}``."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict:
        return {"__type": self.code, "message": self.message}


def invalid_input(message: str) -> ApiError:
    return ApiError("InvalidInputException", message)


def not_found(message: str) -> ApiError:
    return ApiError("ResourceNotFoundException", message)


def in_use(message: str) -> ApiError:
    return ApiError("ResourceInUseException", message)


def already_exists(message: str) -> ApiError:
    return ApiError("ResourceAlreadyExistsException", message)


def limit_exceeded(message: str) -> ApiError:
    return ApiError("LimitExceededException", message)


def too_many_tags(message: str) -> ApiError:
    return ApiError("TooManyTagsException", message)


def too_many_tag_keys(message: str) -> ApiError:
    return ApiError("TooManyTagKeysException", message)


def invalid_next_token(message: str = "The nextToken is not valid.") -> ApiError:
    return ApiError("InvalidNextTokenException", message)
