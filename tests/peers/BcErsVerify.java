// An independent RFC 4998 verifier for Stele's tests: Bouncy Castle's ERS implementation
// (Debian libbcpkix-java). Usage: java BcErsVerify ER_FILE DATA_FILE...
// Exit 0 and "OK" when Bouncy Castle validates every archive timestamp with the signer
// certificate carried in the token and finds every data file covered; exit 1 with the reason
// otherwise.
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Date;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.SignerInformationVerifier;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.ers.ERSByteData;
import org.bouncycastle.tsp.ers.ERSEvidenceRecord;

public class BcErsVerify {
    public static void main(String[] args) throws Exception {
        java.security.Security.addProvider(new BouncyCastleProvider());
        try {
            byte[] er = Files.readAllBytes(Paths.get(args[0]));
            ERSEvidenceRecord record = new ERSEvidenceRecord(er,
                new JcaDigestCalculatorProviderBuilder().setProvider("BC").build());
            X509CertificateHolder signer = record.getSigningCertificate();
            if (signer == null) {
                throw new IllegalStateException("the newest timestamp carries no signer certificate");
            }
            SignerInformationVerifier verifier =
                new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(signer);
            record.validate(verifier);
            for (int i = 1; i < args.length; i++) {
                byte[] data = Files.readAllBytes(Paths.get(args[i]));
                record.validatePresent(new ERSByteData(data), new Date());
            }
            System.out.println("OK");
        } catch (Exception e) {
            System.out.println("FAILED: " + e);
            System.exit(1);
        }
    }
}
