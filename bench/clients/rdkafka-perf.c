/*
 * rdkafka-perf: a small librdkafka-based load generator for the Tidelog benchmark.
 *
 *   rdkafka-perf produce --bootstrap HOST:PORT --topic T [--count N] [--duration SECONDS]
 *                        [--size BYTES] [--acks 0|1|all] [--compression none|lz4|...]
 *                        [--linger-ms MS] [--batch-size BYTES] [--partitions P]
 *                        [--set key=value ...]
 *   rdkafka-perf consume --bootstrap HOST:PORT --topic T --count N
 *                        [--timeout-ms MS] [--set key=value ...]
 *   rdkafka-perf create-topic --bootstrap HOST:PORT --topic T --partitions P [--set key=value ...]
 *   rdkafka-perf version
 *
 * produce: sends records with no key (librdkafka's default partitioner spreads them over the
 * topic's partitions) until N records were sent or SECONDS passed, whichever comes first (10 s
 * when neither is given; no time limit when only --count is), and waits for every delivery report. With --partitions P records are
 * instead assigned round-robin to partitions 0..P-1. Payloads are random bytes taken at varying
 * offsets from a 4 MiB pool, so no two consecutive records are identical.
 *
 * consume: no group membership (a group.id is set only because librdkafka's assign() needs one;
 * nothing is joined or committed); assigns every partition of the topic at the beginning offset and
 * polls until N records were read.
 *
 * create-topic: CreateTopics with P partitions and replication factor 1 through librdkafka's admin
 * API, then waits until metadata shows every partition with a leader, so that a produce started
 * right after it never meets UNKNOWN_TOPIC_OR_PARTITION or LEADER_NOT_AVAILABLE.
 *
 * Each mode prints exactly one JSON line on stdout (progress and errors go to stderr). Byte figures
 * count record values only (no keys, headers or protocol overhead); MB is 10^6 bytes.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#define POOL_SIZE (4u * 1024u * 1024u)
#define MAX_SETS 64

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "rdkafka-perf: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(2);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cpu_times(double *user, double *sys) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
  *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

struct options {
  const char *mode;
  const char *bootstrap;
  const char *topic;
  long long count;       /* produce/consume: number of records (0 = no record bound) */
  double duration;       /* produce: seconds of producing (0 = no time bound) */
  long size;
  const char *acks;
  const char *compression;
  const char *linger_ms;
  const char *batch_size;
  int partitions;        /* produce: >0 means explicit round-robin over 0..P-1 */
  long timeout_ms;       /* consume: give up after this long without progress */
  const char *sets[MAX_SETS];
  int nsets;
};

static void set_conf(rd_kafka_conf_t *conf, const char *key, const char *value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK)
    die("config %s=%s: %s", key, value, err);
}

static void apply_sets(rd_kafka_conf_t *conf, const struct options *o) {
  for (int i = 0; i < o->nsets; i++) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", o->sets[i]);
    char *eq = strchr(buf, '=');
    if (!eq) die("--set needs key=value, got %s", o->sets[i]);
    *eq = '\0';
    set_conf(conf, buf, eq + 1);
  }
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  (void)rk;
  if (level <= 4) fprintf(stderr, "rdkafka-perf: librdkafka %s: %s\n", fac, buf);
}

/* Waits until the broker reports the topic with at least one partition; returns the count. */
static int wait_for_topic(rd_kafka_t *rk, const char *topic_name, double timeout_s) {
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic_name, NULL);
  double deadline = now_s() + timeout_s;
  int partitions = 0;
  while (now_s() < deadline) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 && md->topics[0].err == 0 &&
        md->topics[0].partition_cnt > 0) {
      partitions = md->topics[0].partition_cnt;
      int leaders = 1;
      for (int i = 0; i < partitions; i++)
        if (md->topics[0].partitions[i].leader < 0) leaders = 0;
      rd_kafka_metadata_destroy(md);
      if (leaders) break;
      partitions = 0;
    } else if (md) {
      rd_kafka_metadata_destroy(md);
    }
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  rd_kafka_topic_destroy(rkt);
  if (partitions == 0) die("topic %s has no partitions with leaders after %.0f s", topic_name, timeout_s);
  return partitions;
}

/* ---------------------------------------------------------------- produce */

struct produce_state {
  long long delivered;
  long long failed;
  long long delivered_bytes;
  int64_t *latencies_us; /* one per delivered record, capped at latencies_cap */
  long long latencies_len;
  long long latencies_cap;
  rd_kafka_resp_err_t first_error;
  double last_dr;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  struct produce_state *st = opaque;
  if (m->err) {
    if (st->failed == 0) st->first_error = m->err;
    st->failed++;
  } else {
    st->delivered++;
    st->delivered_bytes += (long long)m->len;
    if (st->latencies_len < st->latencies_cap) st->latencies_us[st->latencies_len++] = rd_kafka_message_latency(m);
  }
  st->last_dr = now_s();
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int64_t percentile(int64_t *sorted, long long n, double p) {
  if (n == 0) return -1;
  long long idx = (long long)(p * (double)(n - 1) + 0.5);
  return sorted[idx];
}

static int do_produce(const struct options *o) {
  char err[512];
  struct produce_state st;
  memset(&st, 0, sizeof st);
  st.latencies_cap = 20 * 1000 * 1000;
  if (o->count > 0 && o->count < st.latencies_cap) st.latencies_cap = o->count;
  st.latencies_us = malloc(sizeof(int64_t) * (size_t)st.latencies_cap);
  if (!st.latencies_us) die("out of memory");

  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set_conf(conf, "bootstrap.servers", o->bootstrap);
  set_conf(conf, "acks", o->acks);
  set_conf(conf, "compression.codec", o->compression);
  set_conf(conf, "linger.ms", o->linger_ms);
  set_conf(conf, "batch.size", o->batch_size);
  set_conf(conf, "message.max.bytes", "1000000");
  apply_sets(conf, o);
  rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
  rd_kafka_conf_set_log_cb(conf, log_cb);
  rd_kafka_conf_set_opaque(conf, &st);

  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die("rd_kafka_new: %s", err);
  int topic_partitions = wait_for_topic(rk, o->topic, 30);
  if (o->partitions > topic_partitions)
    die("--partitions %d but topic %s has %d", o->partitions, o->topic, topic_partitions);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);

  /* Random payload pool (xorshift64*), so compression sees realistic, incompressible data. */
  size_t pool_len = POOL_SIZE + (size_t)o->size;
  unsigned char *pool = malloc(pool_len);
  if (!pool) die("out of memory");
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i < pool_len; i++) {
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    pool[i] = (unsigned char)((x * 0x2545F4914F6CDD1Dull) >> 56);
  }

  double cpu_u0, cpu_s0;
  cpu_times(&cpu_u0, &cpu_s0);
  double t0 = now_s();
  double stop_at = t0 + o->duration;
  long long sent = 0;
  size_t offset = 0;
  long long queue_full = 0;
  for (;;) {
    if (o->count > 0 && sent >= o->count) break;
    if (o->duration > 0 && (sent & 255) == 0 && now_s() >= stop_at) break;
    int32_t partition = o->partitions > 0 ? (int32_t)(sent % o->partitions) : RD_KAFKA_PARTITION_UA;
    if (rd_kafka_produce(rkt, partition, RD_KAFKA_MSG_F_COPY, pool + offset, (size_t)o->size, NULL, 0, NULL) == -1) {
      rd_kafka_resp_err_t e = rd_kafka_last_error();
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        queue_full++;
        rd_kafka_poll(rk, 10);
        continue;
      }
      die("produce: %s", rd_kafka_err2str(e));
    }
    sent++;
    offset = (offset + 4099) % POOL_SIZE;
    if ((sent & 1023) == 0) rd_kafka_poll(rk, 0);
  }
  double t_sent = now_s();
  while (st.delivered + st.failed < sent) {
    rd_kafka_flush(rk, 1000);
    rd_kafka_poll(rk, 0);
    if (now_s() - t_sent > 120) die("delivery reports missing after 120 s: %lld of %lld", st.delivered + st.failed, sent);
  }
  double t1 = st.last_dr > t0 ? st.last_dr : now_s();
  double cpu_u1, cpu_s1;
  cpu_times(&cpu_u1, &cpu_s1);

  qsort(st.latencies_us, (size_t)st.latencies_len, sizeof(int64_t), cmp_i64);
  double secs = t1 - t0;
  printf("{\"mode\":\"produce\",\"topic\":\"%s\",\"partitions\":%d,\"size\":%ld,\"acks\":\"%s\","
         "\"compression\":\"%s\",\"linger_ms\":%s,\"batch_size\":%s,"
         "\"records\":%lld,\"failed\":%lld,\"first_error\":\"%s\",\"bytes\":%lld,\"seconds\":%.6f,"
         "\"records_per_s\":%.1f,\"mb_per_s\":%.3f,"
         "\"latency_us_p50\":%" PRId64 ",\"latency_us_p99\":%" PRId64 ",\"latency_us_max\":%" PRId64 ","
         "\"queue_full\":%lld,\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,\"librdkafka\":\"%s\"}\n",
         o->topic, topic_partitions, o->size, o->acks, o->compression, o->linger_ms, o->batch_size,
         st.delivered, st.failed, st.failed ? rd_kafka_err2name(st.first_error) : "",
         st.delivered_bytes, secs, (double)st.delivered / secs,
         (double)st.delivered_bytes / secs / 1e6,
         percentile(st.latencies_us, st.latencies_len, 0.50),
         percentile(st.latencies_us, st.latencies_len, 0.99),
         st.latencies_len ? st.latencies_us[st.latencies_len - 1] : -1,
         queue_full, cpu_u1 - cpu_u0, cpu_s1 - cpu_s0, rd_kafka_version_str());
  fflush(stdout);

  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  free(pool);
  free(st.latencies_us);
  return st.failed ? 1 : 0;
}

/* ---------------------------------------------------------------- consume */

static int do_consume(const struct options *o) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set_conf(conf, "bootstrap.servers", o->bootstrap);
  /* librdkafka 2.0 refuses assign() without a group.id; the group is never joined and nothing
   * is committed. */
  set_conf(conf, "group.id", "rdkafka-perf");
  set_conf(conf, "enable.auto.commit", "false");
  set_conf(conf, "enable.auto.offset.store", "false");
  set_conf(conf, "enable.partition.eof", "false");
  set_conf(conf, "check.crcs", "false");
  apply_sets(conf, o);
  rd_kafka_conf_set_log_cb(conf, log_cb);

  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) die("rd_kafka_new: %s", err);
  int partitions = wait_for_topic(rk, o->topic, 30);
  rd_kafka_poll_set_consumer(rk);

  rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; p++)
    rd_kafka_topic_partition_list_add(list, o->topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;

  double cpu_u0, cpu_s0;
  cpu_times(&cpu_u0, &cpu_s0);
  double t0 = now_s();
  rd_kafka_resp_err_t aerr = rd_kafka_assign(rk, list);
  if (aerr) die("assign: %s", rd_kafka_err2str(aerr));
  rd_kafka_topic_partition_list_destroy(list);

  long long records = 0, bytes = 0, errors = 0;
  double t_first = 0, last_progress = t0;
  while (records < o->count) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    double t = now_s();
    if (!m) {
      if ((t - last_progress) * 1000.0 > (double)o->timeout_ms)
        die("no records for %ld ms; read %lld of %lld", o->timeout_ms, records, o->count);
      continue;
    }
    if (m->err) {
      if (errors++ < 10) fprintf(stderr, "rdkafka-perf: consume error: %s\n", rd_kafka_message_errstr(m));
    } else {
      if (records == 0) t_first = t;
      records++;
      bytes += (long long)m->len;
      last_progress = t;
    }
    rd_kafka_message_destroy(m);
  }
  double t1 = now_s();
  double cpu_u1, cpu_s1;
  cpu_times(&cpu_u1, &cpu_s1);
  double secs = t1 - t0;
  printf("{\"mode\":\"consume\",\"topic\":\"%s\",\"partitions\":%d,\"records\":%lld,\"bytes\":%lld,"
         "\"errors\":%lld,\"seconds\":%.6f,\"first_record_s\":%.6f,\"records_per_s\":%.1f,\"mb_per_s\":%.3f,"
         "\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,\"librdkafka\":\"%s\"}\n",
         o->topic, partitions, records, bytes, errors, secs, t_first - t0, (double)records / secs,
         (double)bytes / secs / 1e6, cpu_u1 - cpu_u0, cpu_s1 - cpu_s0, rd_kafka_version_str());
  fflush(stdout);
  rd_kafka_assign(rk, NULL);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}

/* ---------------------------------------------------------------- create-topic */

static int do_create_topic(const struct options *o) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set_conf(conf, "bootstrap.servers", o->bootstrap);
  apply_sets(conf, o);
  rd_kafka_conf_set_log_cb(conf, log_cb);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die("rd_kafka_new: %s", err);

  rd_kafka_NewTopic_t *topic = rd_kafka_NewTopic_new(o->topic, o->partitions, 1, err, sizeof err);
  if (!topic) die("NewTopic %s: %s", o->topic, err);
  rd_kafka_AdminOptions_t *admin = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  if (rd_kafka_AdminOptions_set_operation_timeout(admin, 10000, err, sizeof err))
    die("operation timeout: %s", err);
  rd_kafka_queue_t *queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &topic, 1, admin, queue);

  rd_kafka_event_t *ev = rd_kafka_queue_poll(queue, 30000);
  if (!ev) die("CreateTopics %s: no answer within 30 s", o->topic);
  if (rd_kafka_event_error(ev)) die("CreateTopics %s: %s", o->topic, rd_kafka_event_error_string(ev));
  size_t n = 0;
  const rd_kafka_topic_result_t **results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
  for (size_t i = 0; i < n; i++) {
    if (rd_kafka_topic_result_error(results[i]))
      die("CreateTopics %s: %s (%s)", rd_kafka_topic_result_name(results[i]),
          rd_kafka_err2name(rd_kafka_topic_result_error(results[i])),
          rd_kafka_topic_result_error_string(results[i]) ? rd_kafka_topic_result_error_string(results[i]) : "");
  }
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(admin);
  rd_kafka_NewTopic_destroy(topic);

  int partitions = wait_for_topic(rk, o->topic, 30);
  if (partitions != o->partitions)
    die("topic %s was created with %d partitions, metadata shows %d", o->topic, o->partitions, partitions);
  printf("{\"mode\":\"create-topic\",\"topic\":\"%s\",\"partitions\":%d,\"librdkafka\":\"%s\"}\n", o->topic,
         partitions, rd_kafka_version_str());
  fflush(stdout);
  rd_kafka_destroy(rk);
  return 0;
}

/* ---------------------------------------------------------------- main */

static const char *need(int argc, char **argv, int *i) {
  if (*i + 1 >= argc) die("%s needs a value", argv[*i]);
  return argv[++*i];
}

int main(int argc, char **argv) {
  struct options o;
  memset(&o, 0, sizeof o);
  o.size = 1024;
  o.acks = "1";
  o.compression = "none";
  o.linger_ms = "5";
  o.batch_size = "1000000";
  o.duration = -1; /* unset: decided after the arguments are read */
  o.timeout_ms = 30000;
  if (argc < 2) die("usage: rdkafka-perf produce|consume|create-topic|version [options]");
  o.mode = argv[1];
  if (strcmp(o.mode, "version") == 0) {
    printf("%s\n", rd_kafka_version_str());
    return 0;
  }
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--bootstrap")) o.bootstrap = need(argc, argv, &i);
    else if (!strcmp(a, "--topic")) o.topic = need(argc, argv, &i);
    else if (!strcmp(a, "--count")) o.count = atoll(need(argc, argv, &i));
    else if (!strcmp(a, "--duration")) o.duration = atof(need(argc, argv, &i));
    else if (!strcmp(a, "--size")) o.size = atol(need(argc, argv, &i));
    else if (!strcmp(a, "--acks")) o.acks = need(argc, argv, &i);
    else if (!strcmp(a, "--compression")) o.compression = need(argc, argv, &i);
    else if (!strcmp(a, "--linger-ms")) o.linger_ms = need(argc, argv, &i);
    else if (!strcmp(a, "--batch-size")) o.batch_size = need(argc, argv, &i);
    else if (!strcmp(a, "--partitions")) o.partitions = atoi(need(argc, argv, &i));
    else if (!strcmp(a, "--timeout-ms")) o.timeout_ms = atol(need(argc, argv, &i));
    else if (!strcmp(a, "--set")) {
      if (o.nsets >= MAX_SETS) die("too many --set");
      o.sets[o.nsets++] = need(argc, argv, &i);
    } else die("unknown argument %s", a);
  }
  if (o.duration < 0) o.duration = o.count > 0 ? 0 : 10;
  if (!o.bootstrap || !o.topic) die("--bootstrap and --topic are required");
  if (o.size < 0 || o.size > 900000) die("--size out of range");
  if (!strcmp(o.mode, "produce")) return do_produce(&o);
  if (!strcmp(o.mode, "consume")) {
    if (o.count <= 0) die("consume needs --count");
    return do_consume(&o);
  }
  if (!strcmp(o.mode, "create-topic")) {
    if (o.partitions <= 0) die("create-topic needs --partitions");
    return do_create_topic(&o);
  }
  die("unknown mode %s", o.mode);
  return 2;
}
