//! `lscb.report.v1.DirectoryService`: the caller's partnership and its agencies, read from
//! the directory file.

use lscb_platform::{ServiceContext, Violations, caller, proto_conv};
use lscb_proto::report::v1 as pb;
use lscb_proto::report::v1::directory_service_server::DirectoryService;
use tonic::{Request, Response, Status};

/// The directory API.
#[derive(Debug, Clone)]
pub struct DirectoryApi {
    ctx: ServiceContext,
}

impl DirectoryApi {
    pub fn new(ctx: ServiceContext) -> Self {
        Self { ctx }
    }
}

fn agency_to_pb(a: &lscb_platform::Agency) -> pb::Agency {
    pb::Agency {
        code: a.code.clone(),
        name: a.name.clone(),
        sector: a.sector.as_str().to_string(),
        statutory: a.statutory,
        valid_from: a.valid_from.map(|d| d.to_string()).unwrap_or_default(),
        valid_to: a.valid_to.map(|d| d.to_string()).unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl DirectoryService for DirectoryApi {
    async fn list_partnerships(
        &self,
        request: Request<pb::ListPartnershipsRequest>,
    ) -> Result<Response<pb::ListPartnershipsResponse>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        Ok(Response::new(pb::ListPartnershipsResponse {
            partnerships: vec![pb::Partnership {
                id: p.id.clone(),
                name: p.name.clone(),
                local_authority: p.local_authority.clone(),
                region: p.region.clone(),
                statistical_neighbours: p.statistical_neighbours.clone(),
            }],
        }))
    }

    async fn list_agencies(
        &self,
        request: Request<pb::ListAgenciesRequest>,
    ) -> Result<Response<pb::ListAgenciesResponse>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let sector = if req.sector.is_empty() {
            None
        } else {
            let s = lscb_platform::Sector::parse(&req.sector);
            if s.is_none() {
                v.add(
                    "sector",
                    format!(
                        "unknown sector '{}': expected one of {}",
                        req.sector,
                        lscb_platform::Sector::ALL.map(|s| s.as_str()).join(", ")
                    ),
                );
            }
            s
        };
        let valid_at = if req.valid_at.is_empty() {
            None
        } else {
            v.check("valid_at", lscb_platform::fields::parse_date(&req.valid_at))
        };
        let (offset, limit) = proto_conv::page(&mut v, "page", req.page.as_ref());
        v.into_result()?;
        let all: Vec<_> = p
            .agencies
            .iter()
            .filter(|a| sector.is_none_or(|s| a.sector == s))
            .filter(|a| req.statutory.is_none_or(|s| a.statutory == s))
            .filter(|a| valid_at.is_none_or(|d| a.valid_at(d)))
            .collect();
        let total = all.len() as u64;
        let agencies: Vec<_> = all
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(agency_to_pb)
            .collect();
        let page = proto_conv::page_response(offset, agencies.len(), total);
        Ok(Response::new(pb::ListAgenciesResponse {
            agencies,
            page: Some(page),
        }))
    }
}
