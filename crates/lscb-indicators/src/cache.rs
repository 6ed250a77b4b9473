//! The read cache: answers of the read RPCs that aggregate stored rows (`GetSeries`,
//! `GetScorecard`), kept per partnership and per *data generation*.
//!
//! Every committed write of this process bumps the partnership's generation
//! ([`ReadCache::invalidate`], called by [`crate::store::Store::commit`]), and answers are
//! looked up under the generation read *before* the database is queried. So an answer computed
//! from data older than a commit is stored under an old generation and never served again, and
//! an answer served after a commit was computed from data that includes it.
//!
//! Writes of *other* processes (several replicas on one PostgreSQL database) cannot bump this
//! process's generations; for them an answer is served for at most the configured
//! time-to-live (`read_cache_ttl_ms`, default 2 s). A zero TTL turns the cache off.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prost::Message;

/// Most bytes (encoded answers, counted in KiB) one answer cache holds.
const CAPACITY_KIB: u64 = 16 * 1024;
/// Expected number of answers, for the cache's sizing.
const EXPECTED_ITEMS: usize = 2_048;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    partnership: String,
    generation: u64,
    /// The request as it arrived, encoded: every input of the answer but the partnership.
    request: Vec<u8>,
}

#[derive(Clone)]
struct Entry<V> {
    stored: Instant,
    answer: Arc<V>,
    /// The answer encoded once, served as is by [`crate::fast_path`].
    encoded: bytes::Bytes,
}

#[derive(Clone)]
struct ByEncodedSize;

impl<V> quick_cache::Weighter<Key, Entry<V>> for ByEncodedSize
where
    V: Message,
{
    fn weight(&self, key: &Key, val: &Entry<V>) -> u64 {
        // The answer is held twice: decoded and encoded.
        ((key.request.len() + 2 * val.encoded.len()) / 1024 + 1) as u64
    }
}

/// Answers of one read RPC.
pub struct Answers<V: Message + Clone> {
    cache: quick_cache::sync::Cache<Key, Entry<V>, ByEncodedSize>,
}

impl<V: Message + Clone> std::fmt::Debug for Answers<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answers")
            .field("len", &self.cache.len())
            .finish()
    }
}

impl<V: Message + Clone> Answers<V> {
    fn new() -> Self {
        Self {
            cache: quick_cache::sync::Cache::with_weighter(
                EXPECTED_ITEMS,
                CAPACITY_KIB,
                ByEncodedSize,
            ),
        }
    }
}

/// A lookup ticket: the partnership's generation when the call began.
#[derive(Debug)]
pub struct Ticket {
    key: Option<Key>,
}

/// The per-process read cache of the indicators service.
pub struct ReadCache {
    ttl: Duration,
    generations: Mutex<HashMap<String, u64>>,
    /// Answers being computed, so that concurrent misses of one answer compute it once.
    flights: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
    pub series: Answers<lscb_proto::indicators::v1::GetSeriesResponse>,
    pub scorecard: Answers<lscb_proto::indicators::v1::GetScorecardResponse>,
}

impl std::fmt::Debug for ReadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl ReadCache {
    /// A cache whose answers live at most `ttl`; `Duration::ZERO` caches nothing.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            generations: Mutex::new(HashMap::new()),
            flights: Mutex::new(HashMap::new()),
            series: Answers::new(),
            scorecard: Answers::new(),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    fn generation(&self, partnership: &str) -> u64 {
        let g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        g.get(partnership).copied().unwrap_or(0)
    }

    /// Makes every answer of `partnership` stale; call after each committed write.
    pub fn invalidate(&self, partnership: &str) {
        let mut g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        match g.get_mut(partnership) {
            Some(n) => *n += 1,
            None => {
                g.insert(partnership.to_string(), 1);
            }
        }
    }

    /// Starts a lookup for `request` of `partnership`: read the generation before the data.
    pub fn ticket(&self, partnership: &str, request: &impl Message) -> Ticket {
        if !self.enabled() {
            return Ticket { key: None };
        }
        Ticket {
            key: Some(Key {
                partnership: partnership.to_string(),
                generation: self.generation(partnership),
                request: request.encode_to_vec(),
            }),
        }
    }

    fn fresh<V: Message + Clone>(&self, answers: &Answers<V>, ticket: &Ticket) -> Option<Entry<V>> {
        let key = ticket.key.as_ref()?;
        let entry = answers.cache.get(key)?;
        if entry.stored.elapsed() > self.ttl {
            answers.cache.remove(key);
            return None;
        }
        Some(entry)
    }

    /// The cached answer of `ticket`, if one is fresh.
    pub fn get<V: Message + Clone>(&self, answers: &Answers<V>, ticket: &Ticket) -> Option<V> {
        self.fresh(answers, ticket).map(|e| V::clone(&e.answer))
    }

    /// The cached answer of `ticket` as its protobuf encoding, if one is fresh.
    pub fn get_encoded<V: Message + Clone>(
        &self,
        answers: &Answers<V>,
        ticket: &Ticket,
    ) -> Option<bytes::Bytes> {
        self.fresh(answers, ticket).map(|e| e.encoded)
    }

    /// Waits until no other call is computing the answer of `ticket`, then holds that right
    /// until the guard is dropped: a caller that misses takes a flight, looks again (another
    /// caller may have just stored the answer) and only then computes. `None` when the cache is
    /// off.
    pub async fn flight(&self, ticket: &Ticket) -> Option<Flight<'_>> {
        let key = ticket.key.as_ref()?;
        let lock = {
            let mut f = self.flights.lock().unwrap_or_else(|e| e.into_inner());
            f.entry(key.clone()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        Some(Flight {
            cache: self,
            key: key.clone(),
            _guard: guard,
        })
    }

    /// Remembers `answer` under `ticket`.
    pub fn put<V: Message + Clone>(&self, answers: &Answers<V>, ticket: Ticket, answer: &V) {
        if let Some(key) = ticket.key {
            answers.cache.insert(
                key,
                Entry {
                    stored: Instant::now(),
                    answer: Arc::new(answer.clone()),
                    encoded: answer.encode_to_vec().into(),
                },
            );
        }
    }
}

/// The right to compute one answer; see [`ReadCache::flight`].
pub struct Flight<'a> {
    cache: &'a ReadCache,
    key: Key,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl std::fmt::Debug for Flight<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flight").finish_non_exhaustive()
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        // Callers already waiting hold the lock's Arc and find the answer stored; later ones
        // find it in the cache before they ever ask for a flight.
        let mut f = self.cache.flights.lock().unwrap_or_else(|e| e.into_inner());
        f.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lscb_proto::indicators::v1 as pb;

    fn request(code: &str) -> pb::GetSeriesRequest {
        pb::GetSeriesRequest {
            indicator_code: code.into(),
            ..Default::default()
        }
    }

    fn answer(code: &str) -> pb::GetSeriesResponse {
        pb::GetSeriesResponse {
            indicator: Some(pb::Indicator {
                created_by: code.into(),
                ..Default::default()
            }),
            lines: vec![],
        }
    }

    #[test]
    fn serves_an_answer_until_its_partnership_is_written() {
        let c = ReadCache::new(Duration::from_secs(60));
        let t = c.ticket("bscb", &request("A"));
        assert!(c.get(&c.series, &t).is_none());
        c.put(&c.series, t, &answer("A"));
        let hit = c.get(&c.series, &c.ticket("bscb", &request("A")));
        assert_eq!(hit, Some(answer("A")));
        let encoded = c.get_encoded(&c.series, &c.ticket("bscb", &request("A")));
        assert_eq!(
            encoded.as_deref(),
            Some(answer("A").encode_to_vec().as_slice())
        );
        // Another request, another partnership: no answer.
        assert!(c.get(&c.series, &c.ticket("bscb", &request("B"))).is_none());
        assert!(
            c.get(&c.series, &c.ticket("other", &request("A")))
                .is_none()
        );
        // A write to another partnership leaves it; a write to bscb makes it stale.
        c.invalidate("other");
        assert!(c.get(&c.series, &c.ticket("bscb", &request("A"))).is_some());
        c.invalidate("bscb");
        assert!(c.get(&c.series, &c.ticket("bscb", &request("A"))).is_none());
    }

    #[test]
    fn an_answer_computed_before_a_write_is_never_served_after_it() {
        let c = ReadCache::new(Duration::from_secs(60));
        // The ticket is taken before the data is read; a write commits meanwhile.
        let t = c.ticket("bscb", &request("A"));
        c.invalidate("bscb");
        c.put(&c.series, t, &answer("old"));
        assert!(c.get(&c.series, &c.ticket("bscb", &request("A"))).is_none());
    }

    #[test]
    fn answers_expire_and_a_zero_ttl_caches_nothing() {
        let c = ReadCache::new(Duration::from_millis(1));
        c.put(&c.series, c.ticket("bscb", &request("A")), &answer("A"));
        std::thread::sleep(Duration::from_millis(5));
        assert!(c.get(&c.series, &c.ticket("bscb", &request("A"))).is_none());

        let off = ReadCache::new(Duration::ZERO);
        assert!(!off.enabled());
        off.put(&off.series, off.ticket("bscb", &request("A")), &answer("A"));
        assert!(
            off.get(&off.series, &off.ticket("bscb", &request("A")))
                .is_none()
        );
    }

    #[tokio::test]
    async fn concurrent_misses_of_one_answer_compute_it_once() {
        let c = Arc::new(ReadCache::new(Duration::from_secs(60)));
        let computed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut calls = Vec::new();
        for _ in 0..8 {
            let c = c.clone();
            let computed = computed.clone();
            calls.push(tokio::spawn(async move {
                let t = c.ticket("bscb", &request("A"));
                if let Some(a) = c.get(&c.series, &t) {
                    return a;
                }
                let _flight = c.flight(&t).await;
                if let Some(a) = c.get(&c.series, &t) {
                    return a;
                }
                computed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                c.put(&c.series, t, &answer("A"));
                answer("A")
            }));
        }
        for call in calls {
            assert_eq!(call.await.unwrap(), answer("A"));
        }
        assert_eq!(computed.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Flights are not kept once landed; another answer flies on its own.
        assert!(c.flights.lock().unwrap().is_empty());
        let t = c.ticket("bscb", &request("B"));
        let f = c.flight(&t).await;
        assert!(f.is_some());
        let off = ReadCache::new(Duration::ZERO);
        assert!(
            off.flight(&off.ticket("bscb", &request("A")))
                .await
                .is_none()
        );
    }
}
