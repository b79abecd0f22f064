#include "datasets/video/video_reader.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "datasets/dataset.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>
}

namespace wq {
namespace {

// libav prints warnings (e.g. "deprecated pixel format" for JPEG's yuvj*) on stderr for
// every file; errors reach the caller as exceptions, so keep only fatal messages.
void quiet_libav() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_FATAL); });
}

std::string av_error_text(int code) {
  char buffer[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buffer, sizeof(buffer));
  return buffer;
}

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw DatasetError(path + ": " + why);
}

struct FormatCloser {
  void operator()(AVFormatContext* ctx) const { avformat_close_input(&ctx); }
};
struct CodecFreer {
  void operator()(AVCodecContext* ctx) const { avcodec_free_context(&ctx); }
};
struct PacketFreer {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
struct FrameFreer {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
struct SwsFreer {
  void operator()(SwsContext* ctx) const { sws_freeContext(ctx); }
};
using FormatPtr = std::unique_ptr<AVFormatContext, FormatCloser>;
using CodecPtr = std::unique_ptr<AVCodecContext, CodecFreer>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFreer>;
using FramePtr = std::unique_ptr<AVFrame, FrameFreer>;
using SwsPtr = std::unique_ptr<SwsContext, SwsFreer>;

struct OpenVideo {
  FormatPtr format;
  int stream = -1;
};

OpenVideo open_video(const std::string& path) {
  quiet_libav();
  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (rc < 0) fail(path, "cannot open (" + av_error_text(rc) + ")");
  OpenVideo out;
  out.format.reset(raw);
  rc = avformat_find_stream_info(raw, nullptr);
  if (rc < 0) fail(path, "cannot read stream info (" + av_error_text(rc) + ")");
  out.stream = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (out.stream < 0) fail(path, "no video stream");
  return out;
}

CodecPtr open_decoder(const std::string& path, const AVStream* stream) {
  const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
  if (!codec) fail(path, std::string("no decoder for codec ") + avcodec_get_name(stream->codecpar->codec_id));
  CodecPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) fail(path, "out of memory");
  int rc = avcodec_parameters_to_context(ctx.get(), stream->codecpar);
  if (rc < 0) fail(path, "bad codec parameters (" + av_error_text(rc) + ")");
  // One thread: frame threading would reorder nothing, but the harness runs many samples
  // in parallel on its own and 2-core machines gain nothing from more.
  ctx->thread_count = 1;
  rc = avcodec_open2(ctx.get(), codec, nullptr);
  if (rc < 0) fail(path, "cannot open decoder (" + av_error_text(rc) + ")");
  return ctx;
}

double stream_fps(const AVStream* stream) {
  AVRational rate = stream->avg_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = stream->r_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) return 0;
  return av_q2d(rate);
}

// Converts a decoded frame to packed RGB24 into `dst` (width*height*3 bytes).
void to_rgb(const std::string& path, const AVFrame* frame, SwsPtr& sws, uint8_t* dst) {
  // Full-range chroma interpolation and accurate rounding: flat synthetic colours must come
  // back within a few levels of what was written.
  sws.reset(sws_getCachedContext(sws.release(), frame->width, frame->height,
                                 static_cast<AVPixelFormat>(frame->format), frame->width,
                                 frame->height, AV_PIX_FMT_RGB24,
                                 SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr,
                                 nullptr, nullptr));
  if (!sws) fail(path, "cannot convert pixel format to RGB");
  uint8_t* planes[4] = {dst, nullptr, nullptr, nullptr};
  int strides[4] = {frame->width * 3, 0, 0, 0};
  sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, planes, strides);
}

}  // namespace

VideoInfo probe_video(const std::string& path) {
  OpenVideo video = open_video(path);
  AVStream* stream = video.format->streams[video.stream];
  VideoInfo info;
  info.width = stream->codecpar->width;
  info.height = stream->codecpar->height;
  info.fps = stream_fps(stream);
  info.frame_count = stream->nb_frames;
  if (info.frame_count <= 0) {
    // webm/mkv/gif carry no frame count. decord estimates duration x fps here; counting the
    // stream's packets is exact for every codec without B-frame packing and needs no decode.
    PacketPtr packet(av_packet_alloc());
    int64_t count = 0;
    int rc;
    while ((rc = av_read_frame(video.format.get(), packet.get())) >= 0) {
      if (packet->stream_index == video.stream) ++count;
      av_packet_unref(packet.get());
    }
    if (rc != AVERROR_EOF) fail(path, "read error while counting frames (" + av_error_text(rc) + ")");
    info.frame_count = count;
  }
  if (info.frame_count <= 0) fail(path, "video has no frames");
  if (info.fps <= 0) fail(path, "video has no frame rate");
  return info;
}

Frames decode_video_frames(const std::string& path, const std::vector<int64_t>& indices) {
  Frames out;
  if (indices.empty()) return out;
  for (int64_t index : indices)
    if (index < 0) fail(path, "negative frame index " + std::to_string(index));
  OpenVideo video = open_video(path);
  AVStream* stream = video.format->streams[video.stream];
  CodecPtr decoder = open_decoder(path, stream);

  // wanted frame -> positions in the output that take it
  std::map<int64_t, std::vector<size_t>> wanted;
  for (size_t i = 0; i < indices.size(); ++i) wanted[indices[i]].push_back(i);
  const int64_t last_wanted = wanted.rbegin()->first;

  PacketPtr packet(av_packet_alloc());
  FramePtr frame(av_frame_alloc());
  SwsPtr sws;
  int64_t decoded = 0;
  bool done = false, flushing = false;

  auto take_frames = [&]() {
    while (!done) {
      int rc = avcodec_receive_frame(decoder.get(), frame.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) fail(path, "decode error at frame " + std::to_string(decoded) + " (" + av_error_text(rc) + ")");
      auto it = wanted.find(decoded);
      if (it != wanted.end()) {
        if (out.count == 0) {
          out.width = frame->width;
          out.height = frame->height;
          out.count = static_cast<int>(indices.size());
          out.rgb.assign(out.frame_bytes() * out.count, 0);
        } else if (frame->width != out.width || frame->height != out.height) {
          fail(path, "frame size changes inside the video");
        }
        to_rgb(path, frame.get(), sws, out.frame(static_cast<int>(it->second.front())));
        for (size_t k = 1; k < it->second.size(); ++k)
          std::memcpy(out.frame(static_cast<int>(it->second[k])),
                      out.frame(static_cast<int>(it->second.front())), out.frame_bytes());
      }
      av_frame_unref(frame.get());
      if (decoded++ == last_wanted) done = true;
    }
  };

  while (!done && !flushing) {
    int rc = av_read_frame(video.format.get(), packet.get());
    if (rc == AVERROR_EOF) {
      flushing = true;
      avcodec_send_packet(decoder.get(), nullptr);
    } else if (rc < 0) {
      fail(path, "read error (" + av_error_text(rc) + ")");
    } else {
      if (packet->stream_index == video.stream) {
        int sent = avcodec_send_packet(decoder.get(), packet.get());
        if (sent < 0 && sent != AVERROR(EAGAIN))
          fail(path, "decode error at frame " + std::to_string(decoded) + " (" + av_error_text(sent) + ")");
      }
      av_packet_unref(packet.get());
    }
    take_frames();
  }
  if (!done)
    fail(path, "frame " + std::to_string(last_wanted) + " requested but only " +
                   std::to_string(decoded) + " frames decode");
  return out;
}

Frames decode_image(const std::string& path) {
  // The image2 demuxer presents a still image as a one-frame video.
  return decode_video_frames(path, {0});
}

void write_image(const std::string& path, const uint8_t* rgb, int width, int height) {
  quiet_libav();
  const bool png = path.size() >= 4 && path.compare(path.size() - 4, 4, ".png") == 0;
  const AVCodec* codec = avcodec_find_encoder(png ? AV_CODEC_ID_PNG : AV_CODEC_ID_MJPEG);
  if (!codec) fail(path, png ? "no PNG encoder in libavcodec" : "no MJPEG encoder in libavcodec");
  CodecPtr ctx(avcodec_alloc_context3(codec));
  ctx->width = width;
  ctx->height = height;
  ctx->time_base = AVRational{1, 25};
  ctx->pix_fmt = png ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_YUVJ444P;
  if (!png) {
    // qscale 1 (FF_QP2LAMBDA) = finest quantiser; 4:4:4 keeps colour edges exact.
    ctx->flags |= AV_CODEC_FLAG_QSCALE;
    ctx->global_quality = FF_QP2LAMBDA * 1;
    ctx->qmin = ctx->qmax = 1;
    ctx->color_range = AVCOL_RANGE_JPEG;
  }
  int rc = avcodec_open2(ctx.get(), codec, nullptr);
  if (rc < 0) fail(path, "cannot open encoder (" + av_error_text(rc) + ")");

  FramePtr frame(av_frame_alloc());
  frame->format = ctx->pix_fmt;
  frame->width = width;
  frame->height = height;
  if ((rc = av_frame_get_buffer(frame.get(), 0)) < 0) fail(path, "out of memory");
  if (!png) frame->quality = ctx->global_quality;
  SwsPtr sws(sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, ctx->pix_fmt,
                            SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr, nullptr));
  if (!sws) fail(path, "cannot convert RGB for the encoder");
  const uint8_t* src[4] = {rgb, nullptr, nullptr, nullptr};
  int src_stride[4] = {width * 3, 0, 0, 0};
  sws_scale(sws.get(), src, src_stride, 0, height, frame->data, frame->linesize);

  PacketPtr packet(av_packet_alloc());
  if ((rc = avcodec_send_frame(ctx.get(), frame.get())) < 0) fail(path, "encode error (" + av_error_text(rc) + ")");
  avcodec_send_frame(ctx.get(), nullptr);
  std::string bytes;
  while (avcodec_receive_packet(ctx.get(), packet.get()) >= 0) {
    bytes.append(reinterpret_cast<const char*>(packet->data), packet->size);
    av_packet_unref(packet.get());
  }
  if (bytes.empty()) fail(path, "encoder produced no data");
  // A still image codec's packet is the whole file (PNG signature / JPEG SOI..EOI).
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!file) fail(path, std::string("cannot write (") + std::strerror(errno) + ")");
  if (std::fwrite(bytes.data(), 1, bytes.size(), file.get()) != bytes.size()) fail(path, "short write");
}

}  // namespace wq
