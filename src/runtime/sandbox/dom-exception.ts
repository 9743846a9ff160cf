// DOMException as WebIDL defines it: a name, a message and the legacy numeric code, with the code constants on
// both the constructor and the prototype. Web APIs here throw it with the names their specifications use.

/** Legacy codes by name; names not listed (OperationError, DataError, …) have code 0. */
const CODES: Record<string, number> = {
  IndexSizeError: 1,
  HierarchyRequestError: 3,
  WrongDocumentError: 4,
  InvalidCharacterError: 5,
  NoModificationAllowedError: 7,
  NotFoundError: 8,
  NotSupportedError: 9,
  InUseAttributeError: 10,
  InvalidStateError: 11,
  SyntaxError: 12,
  InvalidModificationError: 13,
  NamespaceError: 14,
  InvalidAccessError: 15,
  TypeMismatchError: 17,
  SecurityError: 18,
  NetworkError: 19,
  AbortError: 20,
  URLMismatchError: 21,
  QuotaExceededError: 22,
  TimeoutError: 23,
  InvalidNodeTypeError: 24,
  DataCloneError: 25,
};

const CONSTANTS =
  "INDEX_SIZE DOMSTRING_SIZE HIERARCHY_REQUEST WRONG_DOCUMENT INVALID_CHARACTER NO_DATA_ALLOWED NO_MODIFICATION_ALLOWED NOT_FOUND NOT_SUPPORTED INUSE_ATTRIBUTE INVALID_STATE SYNTAX INVALID_MODIFICATION NAMESPACE INVALID_ACCESS VALIDATION TYPE_MISMATCH SECURITY NETWORK ABORT URL_MISMATCH QUOTA_EXCEEDED TIMEOUT INVALID_NODE_TYPE DATA_CLONE".split(
    " ",
  );

export class DOMException extends Error {
  #name: string;

  constructor(message: unknown = "", name: unknown = "Error") {
    super(String(message));
    this.#name = String(name);
  }

  /** A prototype getter, as WebIDL makes it (Error's own `name` is a data property on its prototype). */
  override get name(): string {
    return this.#name;
  }

  get code(): number {
    return CODES[this.#name] ?? 0;
  }

  get [Symbol.toStringTag]() {
    return "DOMException";
  }
}

for (let i = 0; i < CONSTANTS.length; i++) {
  const constant = { value: i + 1, enumerable: true };
  Object.defineProperty(DOMException, `${CONSTANTS[i]}_ERR`, constant);
  Object.defineProperty(DOMException.prototype, `${CONSTANTS[i]}_ERR`, constant);
}
