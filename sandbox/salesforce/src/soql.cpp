#include "soql.hpp"

#include <cctype>
#include <charconv>

#include "ferry/sandbox/http_util.hpp"

namespace ferry::sandbox::salesforce {
namespace {

enum class TokenKind { kIdent, kString, kNumber, kDate, kDateTime, kSymbol, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // identifiers/symbols/numbers as written; strings unescaped
  size_t position = 0;
  int64_t ms = 0;
};

bool isIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool isIdentPart(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool isDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

class Parser {
 public:
  Parser(const std::string& source, const Schema& schema) : source_(source), schema_(schema) {
    tokenize();
  }

  Query parse();

 private:
  // --- errors -----------------------------------------------------------------------------
  [[noreturn]] void fail(const std::string& code, size_t position,
                         const std::string& detail) const {
    size_t lineStart = source_.rfind('\n', position == 0 ? 0 : position - 1);
    lineStart = lineStart == std::string::npos ? 0 : lineStart + 1;
    if (position > 0 && source_[position - 1] == '\n') lineStart = position;
    size_t lineEnd = source_.find('\n', lineStart);
    if (lineEnd == std::string::npos) lineEnd = source_.size();
    size_t row = 1;
    for (size_t i = 0; i < lineStart; ++i) row += source_[i] == '\n';
    size_t column = position - lineStart + 1;
    std::string message = "\n" + source_.substr(lineStart, lineEnd - lineStart) + "\n" +
                          std::string(column - 1, ' ') + "^\nERROR at Row:" + std::to_string(row) +
                          ":Column:" + std::to_string(column) + "\n" + detail;
    throw SoqlError(code, message);
  }

  [[noreturn]] void unexpected(const Token& token) const {
    std::string shown = token.kind == TokenKind::kEnd ? "<EOF>" : token.text;
    if (token.kind == TokenKind::kString) shown = "'" + token.text + "'";
    fail("MALFORMED_QUERY", token.position, "unexpected token: '" + shown + "'");
  }

  // --- tokens -----------------------------------------------------------------------------
  void tokenize();
  const Token& peek(size_t ahead = 0) const {
    size_t i = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  const Token& take() {
    const Token& token = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return token;
  }
  bool isKeyword(const Token& token, std::string_view word) const {
    return token.kind == TokenKind::kIdent && iequals(token.text, word);
  }
  bool acceptKeyword(std::string_view word) {
    if (!isKeyword(peek(), word)) return false;
    take();
    return true;
  }
  void expectKeyword(std::string_view word) {
    if (!acceptKeyword(word)) unexpected(peek());
  }
  bool isSymbol(const Token& token, std::string_view symbol) const {
    return token.kind == TokenKind::kSymbol && token.text == symbol;
  }
  bool acceptSymbol(std::string_view symbol) {
    if (!isSymbol(peek(), symbol)) return false;
    take();
    return true;
  }
  void expectSymbol(std::string_view symbol) {
    if (!acceptSymbol(symbol)) unexpected(peek());
  }
  bool isReserved(const Token& token) const {
    static const char* kReserved[] = {"SELECT", "FROM", "WHERE", "AND", "OR",    "NOT",
                                      "IN",     "LIKE", "ORDER", "BY",  "LIMIT", "OFFSET",
                                      "NULL",   "TRUE", "FALSE", "ASC", "DESC",  "NULLS"};
    for (const char* word : kReserved)
      if (isKeyword(token, word)) return true;
    return false;
  }

  // --- grammar ----------------------------------------------------------------------------
  std::pair<std::string, size_t> fieldPath();
  std::unique_ptr<Condition> orExpr();
  std::unique_ptr<Condition> andExpr();
  std::unique_ptr<Condition> notExpr();
  std::unique_ptr<Condition> predicate();
  Literal literal();
  int64_t integer(const char* clause);

  // --- binding ----------------------------------------------------------------------------
  BoundField bindField(const std::string& text, size_t position, const ObjectDef& object);
  void bindCondition(Condition& condition, const ObjectDef& object);
  Value bindLiteral(const Literal& literal, const BoundField& field, bool like);

  const std::string& source_;
  const Schema& schema_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

void Parser::tokenize() {
  size_t i = 0;
  const std::string& s = source_;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Token token;
    token.position = i;
    if (isIdentStart(c)) {
      size_t start = i;
      while (i < s.size() && isIdentPart(s[i])) ++i;
      token.kind = TokenKind::kIdent;
      token.text = s.substr(start, i - start);
    } else if (c == '\'') {
      token.kind = TokenKind::kString;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char ch = s[i];
        if (ch == '\'') {
          closed = true;
          ++i;
          break;
        }
        if (ch == '\\') {
          if (i + 1 >= s.size()) break;
          char next = s[i + 1];
          switch (next) {
            case '\'':
              token.text += '\'';
              break;
            case '"':
              token.text += '"';
              break;
            case '\\':
              token.text += "\\\\";
              break;  // kept escaped for LIKE; undone in bind
            case 'n':
              token.text += '\n';
              break;
            case 'r':
              token.text += '\r';
              break;
            case 't':
              token.text += '\t';
              break;
            case 'b':
              token.text += '\b';
              break;
            case 'f':
              token.text += '\f';
              break;
            case '%':
              token.text += "\\%";
              break;
            case '_':
              token.text += "\\_";
              break;
            default:
              fail("MALFORMED_QUERY", i,
                   "Invalid string literal '\\" + std::string(1, next) +
                       "'. Illegal character sequence '\\" + std::string(1, next) +
                       "' in string literal.");
          }
          i += 2;
          continue;
        }
        token.text += ch;
        ++i;
      }
      if (!closed)
        fail("MALFORMED_QUERY", token.position,
             "line 1:" + std::to_string(token.position) +
                 " mismatched character '<EOF>' expecting '''");
    } else if (isDigit(c) || ((c == '-' || c == '+') && i + 1 < s.size() && isDigit(s[i + 1]))) {
      size_t start = i;
      // Date or datetime literal: YYYY-MM-DD[Thh:mm:ss[.fff](Z|+hh:mm|-hh:mm)]
      if (isDigit(c) && i + 10 <= s.size() && s[i + 4] == '-' && isDigit(s[i + 1]) &&
          isDigit(s[i + 2]) && isDigit(s[i + 3])) {
        size_t end = i + 10;
        if (end < s.size() && (s[end] == 'T' || s[end] == 't')) {
          while (end < s.size() && (isIdentPart(s[end]) || s[end] == ':' || s[end] == '.' ||
                                    s[end] == '+' || s[end] == '-'))
            ++end;
          std::string text = s.substr(start, end - start);
          auto ms = parseDateTime(text);
          if (!ms)
            fail("MALFORMED_QUERY", start,
                 "line 1:" + std::to_string(start) + " no viable alternative at character '" +
                     text + "'");
          token.kind = TokenKind::kDateTime;
          token.ms = *ms;
          token.text = text;
        } else {
          std::string text = s.substr(start, 10);
          if (!isValidDate(text))
            fail("MALFORMED_QUERY", start,
                 "line 1:" + std::to_string(start) + " no viable alternative at character '" +
                     text + "'");
          token.kind = TokenKind::kDate;
          token.text = text;
        }
        i = end;
      } else {
        ++i;
        while (i < s.size() && isDigit(s[i])) ++i;
        if (i < s.size() && s[i] == '.') {
          ++i;
          while (i < s.size() && isDigit(s[i])) ++i;
        }
        token.kind = TokenKind::kNumber;
        token.text = s.substr(start, i - start);
      }
    } else {
      static const char* kSymbols[] = {"!=", "<>", "<=", ">=", "=", "<",
                                       ">",  "(",  ")",  ",",  ".", ":"};
      bool matched = false;
      for (const char* symbol : kSymbols) {
        std::string_view sv(symbol);
        if (s.compare(i, sv.size(), sv) == 0) {
          token.kind = TokenKind::kSymbol;
          token.text = sv;
          i += sv.size();
          matched = true;
          break;
        }
      }
      if (!matched) {
        fail("MALFORMED_QUERY", i,
             "line 1:" + std::to_string(i) + " no viable alternative at character '" +
                 std::string(1, c) + "'");
      }
    }
    tokens_.push_back(std::move(token));
  }
  Token end;
  end.kind = TokenKind::kEnd;
  end.position = s.size();
  tokens_.push_back(end);
}

std::pair<std::string, size_t> Parser::fieldPath() {
  const Token& first = peek();
  if (first.kind != TokenKind::kIdent || isReserved(first)) unexpected(first);
  take();
  std::string text = first.text;
  while (isSymbol(peek(), ".")) {
    take();
    const Token& part = peek();
    if (part.kind != TokenKind::kIdent) unexpected(part);
    take();
    text += "." + part.text;
  }
  return {text, first.position};
}

Literal Parser::literal() {
  const Token& token = peek();
  Literal out;
  out.position = token.position;
  switch (token.kind) {
    case TokenKind::kString:
      out.kind = Literal::Kind::kString;
      out.text = token.text;
      break;
    case TokenKind::kNumber: {
      out.kind = Literal::Kind::kNumber;
      out.text = token.text;
      const char* begin = token.text.data() + (token.text[0] == '+' ? 1 : 0);
      std::from_chars(begin, token.text.data() + token.text.size(), out.number);
      break;
    }
    case TokenKind::kDate:
      out.kind = Literal::Kind::kDate;
      out.text = token.text;
      break;
    case TokenKind::kDateTime:
      out.kind = Literal::Kind::kDateTime;
      out.text = token.text;
      out.ms = token.ms;
      break;
    case TokenKind::kIdent:
      if (isKeyword(token, "null")) {
        out.kind = Literal::Kind::kNull;
      } else if (isKeyword(token, "true") || isKeyword(token, "false")) {
        out.kind = Literal::Kind::kBool;
        out.flag = isKeyword(token, "true");
      } else {
        unexpected(token);
      }
      out.text = token.text;
      break;
    default:
      unexpected(token);
  }
  take();
  return out;
}

std::unique_ptr<Condition> Parser::orExpr() {
  auto first = andExpr();
  if (!isKeyword(peek(), "OR")) return first;
  auto node = std::make_unique<Condition>();
  node->kind = Condition::Kind::kOr;
  node->children.push_back(std::move(first));
  while (acceptKeyword("OR")) {
    node->children.push_back(notExpr());
    // SOQL refuses "a OR b AND c": mixing AND and OR needs parentheses.
    if (isKeyword(peek(), "AND")) unexpected(peek());
  }
  return node;
}

std::unique_ptr<Condition> Parser::andExpr() {
  auto first = notExpr();
  if (!isKeyword(peek(), "AND")) return first;
  auto node = std::make_unique<Condition>();
  node->kind = Condition::Kind::kAnd;
  node->children.push_back(std::move(first));
  while (acceptKeyword("AND")) node->children.push_back(notExpr());
  if (isKeyword(peek(), "OR")) unexpected(peek());  // "a AND b OR c"
  return node;
}

std::unique_ptr<Condition> Parser::notExpr() {
  if (acceptKeyword("NOT")) {
    auto node = std::make_unique<Condition>();
    node->kind = Condition::Kind::kNot;
    node->children.push_back(notExpr());
    return node;
  }
  if (acceptSymbol("(")) {
    auto inner = orExpr();
    expectSymbol(")");
    return inner;
  }
  return predicate();
}

std::unique_ptr<Condition> Parser::predicate() {
  auto node = std::make_unique<Condition>();
  auto [text, position] = fieldPath();
  node->fieldText = text;
  node->fieldPosition = position;
  const Token& op = peek();
  if (isKeyword(op, "NOT") || isKeyword(op, "IN")) {
    if (acceptKeyword("NOT")) node->negated = true;
    expectKeyword("IN");
    node->kind = Condition::Kind::kIn;
    expectSymbol("(");
    node->values.push_back(literal());
    while (acceptSymbol(",")) node->values.push_back(literal());
    expectSymbol(")");
    return node;
  }
  if (acceptKeyword("LIKE")) {
    node->kind = Condition::Kind::kLike;
    node->values.push_back(literal());
    return node;
  }
  if (op.kind != TokenKind::kSymbol) unexpected(op);
  static const std::pair<const char*, CompareOp> kOps[] = {
      {"=", CompareOp::kEq},  {"!=", CompareOp::kNe}, {"<>", CompareOp::kNe}, {"<", CompareOp::kLt},
      {"<=", CompareOp::kLe}, {">", CompareOp::kGt},  {">=", CompareOp::kGe}};
  bool found = false;
  for (const auto& [symbol, value] : kOps) {
    if (op.text == symbol) {
      node->op = value;
      found = true;
    }
  }
  if (!found) unexpected(op);
  take();
  node->kind = Condition::Kind::kCompare;
  node->values.push_back(literal());
  return node;
}

int64_t Parser::integer(const char* clause) {
  const Token& token = peek();
  if (token.kind != TokenKind::kNumber || token.text.find('.') != std::string::npos ||
      token.text[0] == '-' || token.text[0] == '+')
    unexpected(token);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(token.text.data(), token.text.data() + token.text.size(), value);
  if (ec != std::errc())
    fail("NUMBER_OUTSIDE_VALID_RANGE", token.position, std::string(clause) + " is too large");
  take();
  return value;
}

Query Parser::parse() {
  Query query;
  query.source = source_;
  expectKeyword("SELECT");
  if (isKeyword(peek(), "COUNT") && isSymbol(peek(1), "(")) {
    take();
    take();
    expectSymbol(")");
    query.count = true;
  } else {
    do {
      auto [text, position] = fieldPath();
      query.select.push_back({text, position, {}});
    } while (acceptSymbol(","));
  }
  expectKeyword("FROM");
  const Token& object = peek();
  if (object.kind != TokenKind::kIdent || isReserved(object)) unexpected(object);
  take();
  query.objectName = object.text;
  query.objectPosition = object.position;
  if (acceptKeyword("WHERE")) query.where = orExpr();
  if (acceptKeyword("ORDER")) {
    expectKeyword("BY");
    do {
      OrderItem item;
      auto [text, position] = fieldPath();
      item.fieldText = text;
      item.fieldPosition = position;
      if (acceptKeyword("DESC"))
        item.descending = true;
      else
        acceptKeyword("ASC");
      item.nullsFirst = !item.descending;  // SOQL default: ASC NULLS FIRST, DESC NULLS LAST
      if (acceptKeyword("NULLS")) {
        if (acceptKeyword("FIRST"))
          item.nullsFirst = true;
        else if (acceptKeyword("LAST"))
          item.nullsFirst = false;
        else
          unexpected(peek());
      }
      query.orderBy.push_back(std::move(item));
    } while (acceptSymbol(","));
  }
  if (acceptKeyword("LIMIT")) query.limit = integer("LIMIT");
  if (acceptKeyword("OFFSET")) {
    size_t position = peek().position;
    query.offset = integer("OFFSET");
    if (*query.offset > 2000)
      fail("NUMBER_OUTSIDE_VALID_RANGE", position, "Maximum SOQL offset allowed is 2000");
  }
  if (peek().kind != TokenKind::kEnd) unexpected(peek());

  // Binding against the schema.
  query.object = schema_.object(query.objectName);
  if (!query.object) {
    fail("INVALID_TYPE", query.objectPosition,
         "sObject type '" + query.objectName +
             "' is not supported. If you are attempting to use a custom object, be sure to append "
             "the '__c' after the entity name. Please reference your WSDL or the describe call for "
             "the appropriate names.");
  }
  std::vector<std::string> seen;
  for (auto& item : query.select) {
    item.field = bindField(item.text, item.position, *query.object);
    std::string lower = toLower(item.field.path);
    for (const auto& other : seen)
      if (other == lower)
        fail("MALFORMED_QUERY", item.position, "duplicate field selected: " + item.field.path);
    seen.push_back(lower);
  }
  if (query.where) bindCondition(*query.where, *query.object);
  for (auto& item : query.orderBy) {
    item.field = bindField(item.fieldText, item.fieldPosition, *query.object);
    if (!item.field.def->sortable)
      fail("INVALID_FIELD", item.fieldPosition,
           "field '" + item.field.def->name + "' can not be sorted in a query call");
  }
  if (query.count && !query.orderBy.empty())
    fail("MALFORMED_QUERY", query.orderBy[0].fieldPosition,
         "Ordered field cannot be aggregated in a query that is not grouped");
  return query;
}

BoundField Parser::bindField(const std::string& text, size_t position, const ObjectDef& object) {
  BoundField out;
  size_t dot = text.find('.');
  auto noSuchColumn = [&](const std::string& name, const ObjectDef& on) {
    fail(
        "INVALID_FIELD", position,
        "No such column '" + name + "' on entity '" + on.name +
            "'. If you are attempting to use a custom field, be sure to append the '__c' after the "
            "custom field name. Please reference your WSDL or the describe call for the "
            "appropriate names.");
  };
  if (dot == std::string::npos) {
    auto index = object.index(text);
    if (!index) noSuchColumn(text, object);
    out.index = *index;
    out.def = &object.fields[*index];
    out.path = out.def->name;
    return out;
  }
  std::string relationship = text.substr(0, dot);
  std::string rest = text.substr(dot + 1);
  // A leading "Contact." naming the queried object itself is legal SOQL.
  if (iequals(relationship, object.name)) return bindField(rest, position, object);
  auto via = object.relationshipIndex(relationship);
  const ObjectDef* parent = nullptr;
  if (via && !object.fields[*via].referenceTo.empty())
    parent = schema_.object(object.fields[*via].referenceTo[0]);
  if (!via || !parent) {
    fail("INVALID_FIELD", position,
         "Didn't understand relationship '" + relationship +
             "' in field path. If you are attempting "
             "to use a custom relationship, be sure to append the '__r' after the custom "
             "relationship "
             "name. Please reference your WSDL or the describe call for the appropriate names.");
  }
  if (rest.find('.') != std::string::npos)
    fail("INVALID_FIELD", position,
         "the sandbox follows one relationship level only: '" + text + "'");
  auto index = parent->index(rest);
  if (!index) noSuchColumn(rest, *parent);
  out.via = *via;
  out.parent = parent;
  out.index = *index;
  out.def = &parent->fields[*index];
  out.relationshipName = object.fields[*via].relationshipName;
  out.path = out.relationshipName + "." + out.def->name;
  return out;
}

namespace {

bool isTextual(FieldType type) {
  switch (type) {
    case FieldType::kString:
    case FieldType::kTextarea:
    case FieldType::kEmail:
    case FieldType::kPhone:
    case FieldType::kUrl:
    case FieldType::kPicklist:
      return true;
    default:
      return false;
  }
}

// "\%" and "\_" mean literal characters only inside LIKE; elsewhere the backslash goes away.
std::string unescapeOutsideLike(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() &&
        (text[i + 1] == '%' || text[i + 1] == '_' || text[i + 1] == '\\')) {
      out += text[i + 1];
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

Value Parser::bindLiteral(const Literal& literal, const BoundField& field, bool like) {
  const FieldDef& def = *field.def;
  auto mismatch = [&](const char* typeName, bool quoted) {
    fail("INVALID_FIELD", literal.position,
         "value of filter criterion for field '" + def.name + "' must be of type " + typeName +
             (quoted ? " and should be enclosed in quotes"
                     : " and should not be enclosed in quotes"));
  };
  if (literal.kind == Literal::Kind::kNull) {
    if (like) unexpected(Token{TokenKind::kIdent, "null", literal.position, 0});
    return std::monostate{};
  }
  switch (def.type) {
    case FieldType::kId:
    case FieldType::kReference: {
      if (literal.kind != Literal::Kind::kString) mismatch("id", true);
      std::string text = unescapeOutsideLike(literal.text);
      auto id = normalizeId(text);
      if (!id) fail("INVALID_QUERY_FILTER_OPERATOR", literal.position, "invalid ID field: " + text);
      return *id;
    }
    case FieldType::kBoolean:
      if (literal.kind != Literal::Kind::kBool) mismatch("boolean", false);
      return literal.flag;
    case FieldType::kInt:
    case FieldType::kDouble:
    case FieldType::kCurrency:
      if (literal.kind != Literal::Kind::kNumber)
        mismatch(def.type == FieldType::kInt ? "int" : "double", false);
      return literal.number;
    case FieldType::kDate:
      if (literal.kind != Literal::Kind::kDate) mismatch("date", false);
      return literal.text;
    case FieldType::kDateTime:
      if (literal.kind != Literal::Kind::kDateTime) mismatch("dateTime", false);
      return DateTimeMs{literal.ms};
    default:
      if (literal.kind != Literal::Kind::kString) mismatch("string", true);
      return like ? literal.text : unescapeOutsideLike(literal.text);
  }
}

void Parser::bindCondition(Condition& condition, const ObjectDef& object) {
  if (condition.kind == Condition::Kind::kAnd || condition.kind == Condition::Kind::kOr ||
      condition.kind == Condition::Kind::kNot) {
    for (auto& child : condition.children) bindCondition(*child, object);
    return;
  }
  condition.field = bindField(condition.fieldText, condition.fieldPosition, object);
  const FieldDef& def = *condition.field.def;
  if (!def.filterable)
    fail("INVALID_FIELD", condition.fieldPosition,
         "field '" + def.name + "' can not be filtered in a query call");
  bool like = condition.kind == Condition::Kind::kLike;
  if (like && !isTextual(def.type))
    fail("INVALID_FIELD", condition.fieldPosition,
         "invalid operator on " + std::string(fieldTypeName(def.type)) + " field: LIKE");
  if (condition.kind == Condition::Kind::kCompare && def.type == FieldType::kBoolean &&
      condition.op != CompareOp::kEq && condition.op != CompareOp::kNe)
    fail("INVALID_FIELD", condition.fieldPosition, "invalid operator on boolean field");
  for (const auto& literal : condition.values)
    condition.bound.push_back(bindLiteral(literal, condition.field, like));
}

}  // namespace

Query parseSoql(const std::string& text, const Schema& schema) {
  if (text.size() > 100000)
    throw SoqlError("MALFORMED_QUERY", "SOQL statements cannot exceed 100000 characters");
  Parser parser(text, schema);
  return parser.parse();
}

}  // namespace ferry::sandbox::salesforce
