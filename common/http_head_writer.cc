#include "common/http_head_writer.h"

namespace fleetgate::http {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

HeadWriter HeadWriter::response(int status) {
  HeadWriter w;
  w.buf_.reserve(256);
  w.buf_ += "HTTP/1.1 ";
  w.buf_ += std::to_string(status);
  w.buf_ += ' ';
  w.buf_ += reason_phrase(status);
  w.buf_ += "\r\n";
  return w;
}

HeadWriter HeadWriter::request(std::string_view method, std::string_view target) {
  HeadWriter w;
  w.buf_.reserve(256);
  w.buf_ += method;
  w.buf_ += ' ';
  w.buf_ += target;
  w.buf_ += " HTTP/1.1\r\n";
  return w;
}

HeadWriter& HeadWriter::add(std::string_view name, std::string_view value) {
  buf_ += name;
  buf_ += ": ";
  buf_ += value;
  buf_ += "\r\n";
  return *this;
}

HeadWriter& HeadWriter::add(std::string_view name, uint64_t value) {
  return add(name, std::string_view(std::to_string(value)));
}

std::string HeadWriter::finish() && {
  buf_ += "\r\n";
  return std::move(buf_);
}

}  // namespace fleetgate::http
