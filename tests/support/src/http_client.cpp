#include "ferry/testing/http_client.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

namespace ferry::testing {

HttpAnswer httpCall(const std::string& base, const std::string& method, const std::string& path,
                    const std::string& token, const std::string& body,
                    const std::string& contentType) {
  HttpAnswer answer;
  try {
    Poco::URI uri(base);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!token.empty()) request.set("Authorization", "Bearer " + token);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      request.setContentType(contentType);
      request.setContentLength64(static_cast<Poco::Int64>(body.size()));
    }
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    answer.status = response.getStatus();
    for (const auto& [name, value] : response) answer.headers[name] = value;
    Poco::StreamCopier::copyToString(in, answer.body);
  } catch (const Poco::Exception& e) {
    answer.status = -1;
    answer.body = e.displayText();
  }
  return answer;
}

}  // namespace ferry::testing
